import assert from "node:assert/strict";
import postgres from "postgres";
import { postgresArgs, setupSql, startPostgres, tlsHbaConf } from "./postgres_server.ts";
import { ignoreUnlessInstalled } from "./requirements.ts";

Deno.test("postgres setup: SQL and arguments are built from checked values", () => {
  const sql = setupSql("vigil", "vigil", "A".repeat(43));
  assert.match(sql, /^CREATE ROLE vigil LOGIN PASSWORD 'A{43}';$/m);
  assert.match(sql, /^REVOKE ALL ON DATABASE vigil FROM PUBLIC;$/m);
  assert.throws(() => setupSql("vigil", "vigil", "short"), RangeError);
  assert.throws(() => setupSql("vigil", "vigil", "x'; DROP ROLE postgres; --aaaaaaaa"), RangeError);
  assert.throws(() => setupSql("Robert; --", "vigil", "A".repeat(43)), RangeError);
  const args = postgresArgs("/d", "/s", 5433);
  assert.ok(args.includes("listen_addresses=127.0.0.1"));
  assert.ok(args.includes("port=5433"));
  assert.ok(args.includes("unix_socket_directories=/s"));
  assert.ok(!args.includes("ssl=on"));
  const tls = postgresArgs("/d", "/s", 5433, { certFile: "/c", keyFile: "/k", caFile: "/ca" });
  for (const a of ["ssl=on", "ssl_cert_file=/c", "ssl_key_file=/k", "ssl_ca_file=/ca"]) {
    assert.ok(tls.includes(a), a);
  }
  // Over TCP only TLS, only the vigil role; setup over the socket.
  assert.deepEqual(tlsHbaConf("vigil", "cert").trim().split("\n"), [
    "local all all peer",
    "hostssl all vigil 127.0.0.1/32 cert",
    "hostnossl all all 0.0.0.0/0 reject",
    "host all all 0.0.0.0/0 reject",
  ]);
  assert.throws(() => tlsHbaConf("all all 0.0.0.0/0 trust\nx", "cert"), RangeError);
});

Deno.test({
  name: "postgres: a real server, SCRAM login, stop and start again",
  ignore: ignoreUnlessInstalled("postgres"),
  fn: async (t) => {
    const pg = await startPostgres();
    const password = await Deno.readTextFile(pg.passwordFile);
    const connect = (pass = password) =>
      postgres({
        host: pg.host,
        port: pg.port,
        database: pg.database,
        username: pg.user,
        password: pass,
        max: 2,
        connect_timeout: 5,
        onnotice: () => {},
      });
    const sql = connect();
    try {
      await t.step("SQL round trip as the unprivileged vigil role", async () => {
        const [row] = await sql`select current_user as "user", version() as version,
          (select rolsuper from pg_roles where rolname = current_user) as super`;
        assert.equal(row.user, "vigil");
        assert.match(row.version, /^PostgreSQL 15\./);
        assert.equal(row.super, false);
      });

      await t.step(
        "secrets and identity: 0600 password file, server not root, no trust",
        async () => {
          assert.equal((await Deno.stat(pg.passwordFile)).mode! & 0o777, 0o600);
          const uid = /^Uid:\s+(\d+)/m.exec(await Deno.readTextFile(`/proc/${pg.pid}/status`))![1];
          assert.notEqual(Number(uid), 0);
          const hba = (await Deno.readTextFile(`${pg.dir}/data/pg_hba.conf`))
            .split("\n").filter((l) => /^\s*(local|host)/.test(l));
          assert.ok(hba.length > 0);
          for (const l of hba) assert.match(l, /(\bpeer|scram-sha-256)\s*$/, l);
          assert.ok(hba.some((l) => /^host\s.*127\.0\.0\.1\/32\s+scram-sha-256$/.test(l)));
        },
      );

      await t.step("a wrong password is refused", async () => {
        const bad = connect("not-the-password");
        try {
          await assert.rejects(bad`select 1`, (e: Error & { code?: string }) => e.code === "28P01");
        } finally {
          await bad.end();
        }
      });

      await t.step(
        "stopped: a clear connection error; started: the same client works",
        async () => {
          await pg.stop();
          assert.equal(pg.running, false);
          await assert.rejects(
            sql`select 1`,
            (e: Error & { code?: string }) =>
              e.code === "ECONNREFUSED" || e.code === "CONNECTION_CLOSED" ||
              e.code === "57P01",
          ); // admin shutdown, for a connection open at the time
          await pg.start();
          const [row] = await sql`select 41 + 1 as n`;
          assert.equal(row.n, 42);
        },
      );
    } finally {
      await sql.end({ timeout: 1 });
      await pg.close();
    }
    await assert.rejects(Deno.stat(pg.dir), Deno.errors.NotFound);
  },
});
