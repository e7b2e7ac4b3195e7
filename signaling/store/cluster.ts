/**
 * The store's cluster tables (migration 3): the durable event log every node
 * follows ({@linkcode ClusterEventStore}) and key material sealed under the
 * nodes' key-encryption key ({@linkcode SealedKeyStore}).
 *
 * Events are numbered by the single row of `cluster_seq`: `UPDATE … RETURNING`
 * locks it until the writing transaction commits, so numbers are handed out
 * in commit order and a reader that has seen event n has seen every event
 * before it (no gap fills in later). Events are appended by the store's own
 * methods in the transaction of the change they announce (device revocation,
 * family revocation, user removal, key rotation), so every writer (a node, an
 * operator command) logs them.
 * @module
 */
import type { SqlDriver, SqlQueries } from "./sql.ts";
import type { ClusterEvent, ClusterEventKind, ClusterEventStore, SealedKeyStore } from "./store.ts";

/** Appends an event inside `tx`; resolves with its number. */
export async function appendEvent(
  tx: SqlQueries,
  kind: ClusterEventKind,
  subject: string,
  now: number,
): Promise<number> {
  const row = await tx.get<{ n: number }>(
    "UPDATE cluster_seq SET n = n + 1 WHERE id = 1 RETURNING n",
  );
  if (!row) throw new Error("cluster_seq is missing its row (schema migration 3)");
  await tx.run("INSERT INTO cluster_events (seq, kind, subject, at) VALUES ($1, $2, $3, $4)", [
    row.n,
    kind,
    subject,
    now,
  ]);
  return row.n;
}

/** The event log over `db`. */
export function clusterEventStore(db: SqlDriver): ClusterEventStore {
  return {
    append: (kind, subject, now) => db.transaction((tx) => appendEvent(tx, kind, subject, now)),
    async after(seq, limit = 1000) {
      const rows = await db.all<ClusterEvent>(
        "SELECT seq, kind, subject, at FROM cluster_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        [seq, limit],
      );
      return rows.map((r) => ({ ...r, kind: r.kind as ClusterEventKind }));
    },
    async last() {
      return (await db.get<{ n: number }>("SELECT n FROM cluster_seq WHERE id = 1"))?.n ?? 0;
    },
  };
}

/** Sealed key material over `db`. */
export function sealedKeyStore(db: SqlDriver): SealedKeyStore {
  return {
    async get(name) {
      return (await db.get<{ sealed: string }>("SELECT sealed FROM sealed_keys WHERE name = $1", [
        name,
      ]))?.sealed ?? null;
    },
    async remove(names) {
      for (const n of names) await db.run("DELETE FROM sealed_keys WHERE name = $1", [n]);
    },
    putIfAbsent: (name, sealed, now) =>
      db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO sealed_keys (name, sealed, created_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO NOTHING`,
          [name, sealed, now],
        );
        const row = await tx.get<{ sealed: string }>(
          "SELECT sealed FROM sealed_keys WHERE name = $1",
          [name],
        );
        return row!.sealed;
      }),
  };
}
