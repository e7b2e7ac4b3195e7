/**
 * The `enroll` program (run by `scripts/device_launch.ts` with the flags of
 * `enrollFlags`): key generated here, CA pinned by fingerprint, CSR sent with
 * the one-time token. The token is never printed.
 * @module
 */
import { runMain, UsageError } from "../../lib/cli.ts";
import { enroll } from "./enroll_client.ts";
import { parseEnrollArgs } from "./enroll_options.ts";
import { isEnrolled } from "./state.ts";

await runMain("enroll", async () => {
  const o = parseEnrollArgs(Deno.args);
  let token = o.token;
  if (o.tokenStdin) token = (await new Response(Deno.stdin.readable).text()).trim();
  const needed = o.force || !(await isEnrolled(o.stateDir));
  if (needed && !token) throw new UsageError("--token (or --token-stdin) is required (see --help)");
  if (needed && !o.caFingerprint) throw new UsageError("--ca-fingerprint is required (see --help)");
  const r = await enroll({
    serverUrl: o.server.origin,
    token: token ?? "",
    caFingerprint: o.caFingerprint ?? "",
    stateDir: o.stateDir,
    force: o.force,
  });
  if (o.json) {
    console.log(JSON.stringify(r));
  } else if (r.status === "already-enrolled") {
    console.log(
      `already enrolled as ${
        r.deviceId ?? "(unknown)"
      } in ${r.stateDir}; use --force to enroll again`,
    );
  } else {
    console.log(`enrolled as ${r.deviceId}`);
    console.log(`  key generated locally: ${r.stateDir}/device.key (0600)`);
    console.log(`  certificate ${r.certSerial}, valid until ${r.certNotAfter}`);
    console.log(`  CA pinned: ${r.caFingerprint}`);
    console.log(`  device port: ${r.devicePort}`);
    console.log(`next: deno task publish --state-dir ${r.stateDir}`);
  }
});
