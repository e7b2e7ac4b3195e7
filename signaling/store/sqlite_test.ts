import assert from "node:assert/strict";
import { join } from "node:path";
import { storeContract } from "./_contract.ts";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.ts";
import { openSqliteDriver, openSqliteStore } from "./sqlite.ts";

storeContract("SQLite, two connections to one file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-store-" });
  return {
    open: () => openSqliteStore(join(dir, "vigil.db")),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
});

Deno.test("SQLite store: 0600 file; concurrent openers migrate once; a bad migration rolls back", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-store-" });
  const path = join(dir, "vigil.db");
  try {
    await t.step("four handles opened at once: each migration recorded once", async () => {
      const drivers = await Promise.all([1, 2, 3, 4].map(() => openSqliteDriver(path)));
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      const rows = await drivers[0].all<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((_, i) => i + 1));
      for (const d of drivers) await d.close();
    });

    await t.step("a failing migration names its version and leaves nothing behind", async () => {
      const d = await openSqliteDriver(path);
      try {
        await assert.rejects(
          migrate(d, [...MIGRATIONS, "CREATE TABLE half (x TEXT); CREATE TABLE broken (;"]),
          new RegExp(`schema migration ${MIGRATIONS.length + 1} failed`),
        );
        assert.equal(
          await d.get("SELECT 1 AS one FROM sqlite_master WHERE name = 'half'"),
          undefined,
        );
        assert.equal(await migrate(d), MIGRATIONS.length);
      } finally {
        await d.close();
      }
    });

    await t.step("statements of concurrent callers never interleave a transaction", async () => {
      const d = await openSqliteDriver(path);
      try {
        await d.run("CREATE TABLE IF NOT EXISTS counter (n BIGINT)");
        await d.run("INSERT INTO counter (n) VALUES (0)");
        await Promise.all(Array.from({ length: 50 }, () =>
          d.transaction(async (tx) => {
            const row = await tx.get<{ n: number }>("SELECT n FROM counter");
            await tx.run("UPDATE counter SET n = $1", [row!.n + 1]);
          })));
        assert.equal((await d.get<{ n: number }>("SELECT n FROM counter"))?.n, 50);
      } finally {
        await d.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
