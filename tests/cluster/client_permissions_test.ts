/**
 * The exact `deno run` permissions of the cluster clients, proven: each client
 * does a real operation in a child process with the flags computed by
 * signaling/config/cluster_grants.ts, and fails without each part of them.
 */
import assert from "node:assert/strict";
import {
  grantFlags,
  natsGrants,
  POSTGRES_JS_ENV,
  postgresGrants,
} from "../../signaling/config/cluster_grants.ts";
import { clusterGrants } from "../../signaling/config/flags.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { startNats } from "../helpers/cluster/nats_server.ts";
import { startPostgres } from "../helpers/cluster/postgres_server.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";

const PROBE = new URL("./_client_probe.ts", import.meta.url).pathname;

async function probe(flags: string[], args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, PROBE, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
}

Deno.test({
  name: "cluster clients run with exactly the computed permissions",
  ignore: ignoreUnlessInstalled("nats", "postgres"),
  fn: async (t) => {
    await t.step("NATS over TLS with a password: net + read of its two files", async () => {
      await using nats = await startNats({ auth: true, tls: true });
      const files = [nats.passwordFile!, nats.caFile!];
      const grants = natsGrants({ servers: [{ host: "127.0.0.1", port: nats.port }], files });
      const flags = grantFlags(grants);
      assert.deepEqual(flags, [
        `--allow-net=127.0.0.1:${nats.port}`,
        `--allow-read=${files.join(",")}`,
      ]);
      const args = ["nats", nats.url, nats.user!, ...files];
      assert.equal(await probe(flags, args), "ok re:x");
      assert.match(await probe([flags[1]], args), /^failed NotCapable: Requires net access/);
    });

    await t.step(
      "the bus by a DNS name (compose: nats://vigil@nats:4222): name:port only",
      async () => {
        await using nats = await startNats({ auth: true });
        const grants = natsGrants({
          servers: [{ host: "localhost", port: nats.port }],
          files: [nats.passwordFile!],
        });
        const flags = grantFlags(grants);
        assert.equal(flags[0], `--allow-net=localhost:${nats.port}`);
        const args = ["bus", `nats://localhost:${nats.port}`, nats.user!, nats.passwordFile!];
        assert.equal(await probe(flags, args), "ok connected");
      },
    );

    await t.step("PostgreSQL with SCRAM: net + read + ignored PG* variables", async () => {
      await using pg = await startPostgres();
      const grants = postgresGrants({
        servers: [{ host: pg.host, port: pg.port }],
        files: [pg.passwordFile],
      });
      const flags = grantFlags(grants);
      assert.deepEqual(flags, [
        `--allow-net=127.0.0.1:${pg.port}`,
        `--allow-read=${pg.passwordFile}`,
        `--ignore-env=${POSTGRES_JS_ENV.join(",")}`,
      ]);
      const args = ["postgres", pg.host, String(pg.port), pg.user, pg.database, pg.passwordFile];
      assert.equal(await probe(flags, args), "ok vigil");
      assert.match(await probe(flags.slice(0, 2), args), /^failed NotCapable: Requires env access/);
      assert.match(
        await probe([flags[0], flags[2]], args),
        /^failed NotCapable: Requires read access/,
      );
    });

    await t.step("the store over TLS as a node opens it: + read of the CA file", async () => {
      await using pg = await startPostgres({ tls: {} });
      const { settings } = parseServeArgs([
        `--store=${pg.url}`,
        `--store-password-file=${pg.passwordFile}`,
        `--store-ca-file=${pg.tls!.caFile}`,
        `--kek-file=${pg.dir}/kek`,
        "--bus=nats://127.0.0.1:4222",
      ], null);
      const flags = grantFlags(clusterGrants(settings));
      assert.equal(flags[1], `--allow-read=${pg.passwordFile},${pg.dir}/kek,${pg.tls!.caFile}`);
      const args = ["store", pg.url, pg.passwordFile, pg.tls!.caFile];
      assert.match(await probe(flags, args), /^ok \d+$/);
      const noCa = `--allow-read=${pg.passwordFile},${pg.dir}/kek`;
      assert.match(
        await probe([flags[0], noCa, flags[2]], args),
        /^failed .*Requires read access to ".*ca\.pem"/,
      );
    });
  },
});
