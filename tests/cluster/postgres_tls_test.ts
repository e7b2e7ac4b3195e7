/**
 * The store link over TLS against a real PostgreSQL 15 with `ssl=on` whose
 * pg_hba.conf lets the vigil role in only over TLS (`hostssl`, `hostnossl …
 * reject`), opened the way a node opens it (store/open.ts, from settings):
 * the CA file verifies chain and host name (verify-full), no TLS is refused
 * by the server, a foreign CA or another host's certificate fails fast with
 * a message naming the check, and a client certificate logs in (pg_hba `cert`).
 */
import assert from "node:assert/strict";
import { createRootCa, writePublicFile } from "../../pki/mod.ts";
import { openStore, type StoreSettings } from "../../signaling/store/open.ts";
import { openPostgresDriver } from "../../signaling/store/postgres.ts";
import { MIGRATIONS } from "../../signaling/store/migrations.ts";
import { type PostgresServer, startPostgres } from "../helpers/cluster/postgres_server.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";

const ignore = ignoreUnlessInstalled("postgres");

/** Settings of a node for `pg`, with `tls` on top. */
const node = (pg: PostgresServer, tls: Partial<StoreSettings> = {}): StoreSettings => ({
  dataDir: `${pg.dir}/node`,
  store: pg.url,
  storePasswordFile: pg.passwordFile,
  ...tls,
});

/** Rejects within `ms` (a failed handshake must not leave the node waiting). */
async function rejectsFast(p: Promise<unknown>, re: RegExp, ms = 3_000): Promise<number> {
  const t0 = performance.now();
  await assert.rejects(p, (e: Error) => {
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  const took = performance.now() - t0;
  assert.ok(took < ms, `took ${Math.round(took)} ms`);
  return took;
}

Deno.test({
  name:
    "store over TLS: verify-full with the CA file; no TLS, a foreign CA or another name refused",
  ignore,
  fn: async (t) => {
    await using pg = await startPostgres({ tls: {} });
    const caFile = pg.tls!.caFile;

    await t.step("with --store-ca-file: opens, migrates, works, over TLS 1.3", async () => {
      const store = await openStore(node(pg, { storeCaFile: caFile }));
      try {
        const seq = await store.events.append("user.scope", "alice", Date.now());
        assert.equal(await store.events.last(), seq);
      } finally {
        await store.close();
      }
      const driver = await openPostgresDriver({
        url: pg.url,
        password: (await Deno.readTextFile(pg.passwordFile)).trim(),
        tls: { mode: "verify-full", caPem: await Deno.readTextFile(caFile) },
      });
      try {
        const rows = await driver.all<{ version: number }>(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        assert.equal(rows.length, MIGRATIONS.length);
        const ssl = await driver.get<{ ssl: boolean; version: string }>(
          "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        );
        assert.deepEqual(ssl, { ssl: true, version: "TLSv1.3" });
      } finally {
        await driver.close();
      }
    });

    await t.step("the URL's host name localhost is checked too (DNS name SAN)", async () => {
      const url = pg.url.replace("127.0.0.1", "localhost");
      const store = await openStore({ ...node(pg, { storeCaFile: caFile }), store: url });
      await store.close();
    });

    await t.step("without TLS options: the server refuses (hostnossl … reject)", async () => {
      await rejectsFast(
        openStore(node(pg)),
        /^PostgreSQL store vigil@127\.0\.0\.1:\d+\/vigil: pg_hba\.conf rejects .*no encryption/,
      );
    });

    await t.step(
      "a CA that did not sign the server's certificate: fails fast, says so",
      async () => {
        const other = `${pg.dir}/other-ca.pem`;
        await writePublicFile(
          other,
          (await createRootCa({ commonName: "not the DB's CA" })).certPem,
        );
        const took = await rejectsFast(
          openStore(node(pg, { storeCaFile: other })),
          /: TLS certificate verification failed: the server's certificate is not signed by a CA of --store-ca-file .*other-ca\.pem \(SELF_SIGNED_CERT_IN_CHAIN\)$/,
        );
        console.log(`foreign CA refused in ${Math.round(took)} ms`);
        // verify-full without a CA file: Deno's default roots do not hold the test CA either.
        await rejectsFast(
          openStore(node(pg, { storeTls: "verify-full" })),
          /not signed by a CA of the default trust store/,
        );
      },
    );

    await t.step("--store-tls require: encrypted without a check (the weaker mode)", async () => {
      const store = await openStore(node(pg, { storeTls: "require" }));
      await store.close();
    });

    await t.step("contradictions are refused before connecting", async () => {
      await assert.rejects(
        openStore({ ...node(pg, { storeCaFile: caFile }), store: `${pg.url}?sslmode=disable` }),
        /sslmode=disable contradicts --store-ca-file/,
      );
      await assert.rejects(
        openPostgresDriver({
          url: `${pg.url}?sslmode=verify-full`,
          password: "x",
          tls: { mode: "disable" },
        }),
        /sslmode=verify-full contradicts its TLS \(disable\)/,
      );
    });
  },
});

Deno.test({
  name: "store over TLS: a certificate for another host is refused (verify-full), also for an IP",
  ignore,
  fn: async (t) => {
    const [otherHost, localhostOnly] = await Promise.all([
      startPostgres({ tls: { dnsNames: ["db.example.com"], ipAddresses: ["10.9.9.9"] } }),
      startPostgres({ tls: { dnsNames: ["localhost"], ipAddresses: [] } }),
    ]);
    try {
      await t.step("certificate for db.example.com / 10.9.9.9", async () => {
        const s = node(otherHost, { storeCaFile: otherHost.tls!.caFile });
        await rejectsFast(
          openStore(s),
          /TLS certificate verification failed: the server's certificate is not for 127\.0\.0\.1 .*IP: 127\.0\.0\.1 is not in the cert's list: 10\.9\.9\.9/,
        );
        await rejectsFast(
          openStore({ ...s, store: otherHost.url.replace("127.0.0.1", "localhost") }),
          /the server's certificate is not for localhost .*DNS:db\.example\.com/,
        );
      });
      await t.step("certificate for localhost only: not good for 127.0.0.1", async () => {
        // The client alone would check an IP against "localhost" (postgres_tls.ts).
        const s = node(localhostOnly, { storeCaFile: localhostOnly.tls!.caFile });
        await rejectsFast(openStore(s), /is not for 127\.0\.0\.1/);
        const store = await openStore({
          ...s,
          store: localhostOnly.url.replace("127.0.0.1", "localhost"),
        });
        await store.close();
      });
    } finally {
      await otherHost.close();
      await localhostOnly.close();
    }
  },
});

Deno.test({
  name: "store over TLS: a client certificate logs in (pg_hba cert); none, or a loose key, fails",
  ignore,
  fn: async () => {
    await using pg = await startPostgres({ tls: { auth: "cert" } });
    const caFile = pg.tls!.caFile;
    const client = await pg.tls!.issueClientCert("vigil");
    assert.equal((await Deno.stat(client.keyFile)).mode! & 0o777, 0o600);
    const withCert = {
      ...node(pg, { storeCaFile: caFile, storeCertFile: client.certFile }),
      storeKeyFile: client.keyFile,
      storePasswordFile: null, // cert auth: no password
    };
    const store = await openStore(withCert);
    try {
      assert.equal(await store.events.last(), 0);
    } finally {
      await store.close();
    }
    await rejectsFast(
      openStore(node(pg, { storeCaFile: caFile })),
      /: connection requires a valid client certificate/,
    );
    await Deno.chmod(client.keyFile, 0o644);
    await assert.rejects(
      openStore(withCert),
      /the store client key \(--store-key-file\) .*vigil\.client\.key is readable by others \(mode 644\): chmod 600 it/,
    );
  },
});
