/**
 * What a cluster's nodes share, for a test: a real PostgreSQL, a real
 * nats-server (user/password) and a key-encryption key file, plus the
 * settings a node needs to use them.
 *
 * @example
 * ```ts
 * await using b = await startBackends();
 * const a = await startTestServer({ ...b.nodeSettings, nodeId: "a" });
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { writeSecretFile } from "../../../pki/mod.ts";
import type { ServerSettings } from "../../../signaling/config/settings.ts";
import { type NatsServer, startNats } from "./nats_server.ts";
import { type PostgresServer, startPostgres } from "./postgres_server.ts";
import { serviceDir } from "./service.ts";

/** Shared backends of a test cluster. */
export interface Backends extends AsyncDisposable {
  pg: PostgresServer;
  nats: NatsServer;
  /** 0600 file with the cluster's key-encryption key. */
  kekFile: string;
  /** `--store`, `--store-password-file`, `--kek-file`, `--bus`, `--bus-password-file`. */
  nodeSettings: Pick<
    ServerSettings,
    "store" | "storePasswordFile" | "kekFile" | "bus" | "busPasswordFile"
  >;
  close(): Promise<void>;
}

/** Starts PostgreSQL and NATS and writes a KEK. */
export async function startBackends(): Promise<Backends> {
  const [pg, nats] = await Promise.all([startPostgres(), startNats({ auth: true })]);
  const dir = await serviceDir("kek");
  const kekFile = `${dir}/kek`;
  await writeSecretFile(
    kekFile,
    Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64") + "\n",
  );
  const close = async () => {
    await Promise.allSettled([pg.close(), nats.close()]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    pg,
    nats,
    kekFile,
    nodeSettings: {
      store: pg.url,
      storePasswordFile: pg.passwordFile,
      kekFile,
      bus: nats.url.replace("nats://", `nats://${nats.user}@`),
      busPasswordFile: nats.passwordFile!,
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
