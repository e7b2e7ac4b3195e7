import assert from "node:assert/strict";
import { startPostgres } from "../../tests/helpers/cluster/postgres_server.ts";
import { ignoreUnlessInstalled } from "../../tests/helpers/cluster/requirements.ts";
import { storeContract } from "./_contract.ts";
import { parsePostgresUrl } from "./postgres_url.ts";
import { openPostgresDriver, openPostgresStore } from "./postgres.ts";
import { MIGRATIONS } from "./migrations.ts";

const ignore = ignoreUnlessInstalled("postgres");

storeContract("PostgreSQL, two pools on one real server", async () => {
  const pg = await startPostgres();
  const password = await Deno.readTextFile(pg.passwordFile);
  return {
    open: () => openPostgresStore({ url: pg.url, password }),
    cleanup: () => pg.close(),
  };
}, ignore);

Deno.test("store URL: user, host, port, database; no password in it", () => {
  assert.deepEqual(parsePostgresUrl("postgres://vigil@db.internal:5433/vigil"), {
    host: "db.internal",
    port: 5433,
    user: "vigil",
    database: "vigil",
  });
  assert.equal(parsePostgresUrl("postgresql://v@[::1]/d").host, "::1");
  assert.equal(parsePostgresUrl("postgres://v@h/d").port, 5432);
  assert.throws(() => parsePostgresUrl("postgres://v:s3cret@h/d"), (e: Error) => {
    assert.match(e.message, /must not hold a password/);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  assert.throws(() => parsePostgresUrl("mysql://v@h/d"), /postgres:\/\/USER@HOST/);
  assert.throws(() => parsePostgresUrl("postgres://h/d"), /user and database required/);
  assert.throws(() => parsePostgresUrl("postgres://v@h/"), /user and database required/);
  // Only libpq's sslmode, and only modes that never fall back to clear text or skip the name check.
  assert.equal(parsePostgresUrl("postgres://v@h/d?sslmode=verify-full").sslmode, "verify-full");
  assert.equal(parsePostgresUrl("postgres://v@h/d?sslmode=require").sslmode, "require");
  assert.equal(parsePostgresUrl("postgres://v@h/d?sslmode=disable").sslmode, "disable");
  assert.equal(parsePostgresUrl("postgres://v@h/d").sslmode, undefined);
  assert.throws(() => parsePostgresUrl("postgres://v@h/d?sslmode=prefer"), /falls back to clear/);
  assert.throws(() => parsePostgresUrl("postgres://v@h/d?sslmode=allow"), /falls back to clear/);
  assert.throws(() => parsePostgresUrl("postgres://v@h/d?sslmode=verify-ca"), /host name check/);
  assert.throws(() => parsePostgresUrl("postgres://v@h/d?sslmode=bogus"), /disable, require or/);
  assert.throws(
    () => parsePostgresUrl("postgres://v@h/d?sslmode=require&sslmode=disable"),
    /more than once/,
  );
  assert.throws(
    () => parsePostgresUrl("postgres://v@h/d?sslrootcert=/etc/ca.pem"),
    /no query parameter but sslmode .*--store-ca-file/,
  );
  assert.throws(() => parsePostgresUrl("postgres://v@h/d?password=x"), /no query parameter/);
  assert.throws(() => parsePostgresUrl("postgres://v@h/d#f"), /no fragment/);
});

Deno.test({
  name: "PostgreSQL store: four nodes starting at once migrate once; events in commit order",
  ignore,
  fn: async () => {
    await using pg = await startPostgres();
    const password = await Deno.readTextFile(pg.passwordFile);
    const drivers = await Promise.all(
      [1, 2, 3, 4].map(() => openPostgresDriver({ url: pg.url, password })),
    );
    const stores = await Promise.all(
      [1, 2].map(() => openPostgresStore({ url: pg.url, password })),
    );
    try {
      const rows = await drivers[0].all<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((_, i) => i + 1));
      // 40 appends from two pools: numbers 1..40, each once, readable in order.
      const before = await stores[0].events.last();
      const seqs = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => stores[i % 2].events.append("user.scope", `u${i}`, Date.now()),
        ),
      );
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        Array.from({ length: 40 }, (_, i) => before + i + 1),
      );
      const log = await stores[1].events.after(before);
      assert.deepEqual(log.map((e) => e.seq), seqs.sort((a, b) => a - b));
      assert.equal(await drivers[1].changeMarker(), before + 40);
    } finally {
      for (const d of drivers) await d.close();
      for (const s of stores) await s.close();
    }
  },
});

Deno.test({
  name: "PostgreSQL store: a wrong password or a dead server is a clear error",
  ignore,
  fn: async () => {
    await using pg = await startPostgres();
    await assert.rejects(
      openPostgresStore({ url: pg.url, password: "wrong-password-0000" }),
      (e: Error) => {
        assert.match(e.message, /PostgreSQL store vigil@127\.0\.0\.1:\d+\/vigil: .*password/);
        assert.doesNotMatch(e.message, /wrong-password/);
        return true;
      },
    );
    const password = await Deno.readTextFile(pg.passwordFile);
    await pg.stop();
    await assert.rejects(
      openPostgresStore({ url: pg.url, password, connectTimeoutS: 2 }),
      /PostgreSQL store vigil@127\.0\.0\.1:\d+\/vigil: .*(ECONNREFUSED|refused|connect)/i,
    );
  },
});
