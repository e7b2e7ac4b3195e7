/**
 * What the PostgreSQL store will rely on, checked against a real server with
 * the chosen client (`postgres` 3.4): transactions, the one-time-token claim
 * (`UPDATE … WHERE used_at IS NULL … RETURNING`) exactly once across two
 * separate pools (two nodes), and millisecond timestamps in BIGINT columns.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { startPostgres } from "../helpers/cluster/postgres_server.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";

/** int8 as a JS number: vigil's ms timestamps stay far below 2^53. */
const msBigint = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

Deno.test({
  name: "postgres client: transactions, exactly-once claims across pools, BIGINT ms",
  ignore: ignoreUnlessInstalled("postgres"),
  fn: async (t) => {
    await using pg = await startPostgres();
    const password = await Deno.readTextFile(pg.passwordFile);
    const pool = () =>
      postgres({
        host: pg.host,
        port: pg.port,
        database: pg.database,
        username: pg.user,
        password,
        max: 10,
        onnotice: () => {},
        types: { msBigint },
      });
    const nodeA = pool();
    const nodeB = pool();
    try {
      await nodeA`create table tokens (
        id text primary key, created_at bigint not null, used_at bigint)`;

      await t.step("a failing transaction leaves nothing; a good one commits", async () => {
        await assert.rejects(
          nodeA.begin(async (tx) => {
            await tx`insert into tokens (id, created_at) values ('t-rolled-back', ${Date.now()})`;
            throw new Error("abort");
          }),
          /abort/,
        );
        await nodeA.begin(async (tx) => {
          await tx`insert into tokens (id, created_at) values ('t-committed', ${Date.now()})`;
        });
        const ids = (await nodeB`select id from tokens order by id`).map((r) => r.id);
        assert.deepEqual(ids, ["t-committed"]);
      });

      await t.step("50 concurrent claims from two pools: exactly one wins", async () => {
        await nodeA`insert into tokens (id, created_at) values ('one-time', ${Date.now()})`;
        const claims = await Promise.all(Array.from({ length: 50 }, (_, i) => {
          const sql = i % 2 ? nodeA : nodeB;
          return sql`update tokens set used_at = ${Date.now()}
            where id = 'one-time' and used_at is null returning id`;
        }));
        assert.equal(claims.filter((rows) => rows.length === 1).length, 1);
        assert.equal(claims.filter((rows) => rows.length === 0).length, 49);
      });

      await t.step("BIGINT holds ms timestamps; parsed as numbers only when told", async () => {
        const at = 1_798_000_000_123;
        await nodeA`insert into tokens (id, created_at) values ('ms', ${at})`;
        const [typed] = await nodeA`select created_at from tokens where id = 'ms'`;
        assert.equal(typed.created_at, at);
        const plain = postgres({
          host: pg.host,
          port: pg.port,
          database: pg.database,
          username: pg.user,
          password,
          max: 1,
          onnotice: () => {},
        });
        try {
          const [raw] = await plain`select created_at from tokens where id = 'ms'`;
          assert.equal(raw.created_at, String(at), "int8 comes back as a string by default");
        } finally {
          await plain.end();
        }
      });
    } finally {
      await nodeA.end();
      await nodeB.end();
    }
  },
});
