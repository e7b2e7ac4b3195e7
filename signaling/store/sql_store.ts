/**
 * The {@linkcode Store} over any {@linkcode SqlDriver}: the same queries,
 * and so the same guarantees, on every engine.
 * @module
 */
import { clusterEventStore, sealedKeyStore } from "./cluster.ts";
import { deviceStore } from "./devices.ts";
import { jwtKeyStore } from "./jwt_keys.ts";
import { refreshTokenStore } from "./refresh_tokens.ts";
import type { SqlDriver } from "./sql.ts";
import type { Store } from "./store.ts";
import { userStore } from "./users.ts";
import { recordingStore } from "./recordings.ts";
import { passkeyStore } from "./passkeys.ts";

/** The store over `db` (already migrated). */
export function sqlStore(db: SqlDriver): Store {
  return {
    kind: db.dialect,
    devices: deviceStore(db),
    users: userStore(db),
    passkeys: passkeyStore(db),
    recordings: recordingStore(db),
    refreshTokens: refreshTokenStore(db),
    jwtKeys: jwtKeyStore(db),
    events: clusterEventStore(db),
    sealedKeys: sealedKeyStore(db),
    changeMarker: () => db.changeMarker(),
    async ping() {
      await db.get("SELECT 1 AS one");
    },
    close: () => db.close(),
  };
}
