/**
 * Applies the schema migrations (migrations.ts) newer than the recorded
 * version, each in its own transaction holding the migration lock (SQLite:
 * the database write lock; PostgreSQL: an advisory lock), so that several
 * processes or nodes starting at once migrate one after another and each
 * migration runs exactly once.
 * @module
 */
import { MIGRATIONS } from "./migrations.ts";
import type { SqlDriver } from "./sql.ts";

/** Brings the schema up to date; resolves with its version. */
export async function migrate(
  db: SqlDriver,
  migrations: readonly string[] = MIGRATIONS,
): Promise<number> {
  let current = await db.migrationTransaction(async (tx) => {
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const row = await tx.get<{ v: number | null }>(
      "SELECT max(version) AS v FROM schema_migrations",
    );
    return row?.v ?? 0;
  });
  for (const [index, sql] of migrations.entries()) {
    const version = index + 1;
    if (version <= current) continue;
    try {
      await db.migrationTransaction(async (tx) => {
        // Another process may have migrated while we waited for the lock.
        const again = await tx.get("SELECT 1 AS one FROM schema_migrations WHERE version = $1", [
          version,
        ]);
        if (again) return;
        await tx.exec(sql);
        await tx.run("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          version,
          Date.now(),
        ]);
      });
    } catch (err) {
      throw new Error(`schema migration ${version} failed: ${(err as Error).message}`);
    }
    current = version;
  }
  return current;
}
