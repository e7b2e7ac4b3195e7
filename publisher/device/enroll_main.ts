/**
 * `deno task enroll --server URL --token T --ca-fingerprint FP [--state-dir DIR] [--force] [--json]`
 *
 * Enrolls this device: key generated here, CA pinned by fingerprint, CSR sent
 * with the one-time token. The token is never printed.
 * @module
 */
import { parseCli, runMain, UsageError } from "../../lib/cli.ts";
import { enroll } from "./enroll_client.ts";
import { DEFAULT_STATE_DIR, isEnrolled } from "./state.ts";

const USAGE = `
deno task enroll --server URL --token TOKEN --ca-fingerprint FP [options]

Enrolls this camera with a vigil server. The device key is generated here and
never leaves this machine; the server is trusted only if it presents the CA
with the given SHA-256 fingerprint.

Options:
  --server URL           the server's public URL, e.g. https://cams.example:8443
  --token TOKEN          one-time enrollment token (from the operator; never printed)
  --token-stdin          read the token from standard input instead (keeps it out of ps)
  --ca-fingerprint FP    SHA-256 fingerprint of the server's CA (AB:CD:… or hex)
  --state-dir DIR        where to store key and certificates (default ${DEFAULT_STATE_DIR})
  --force                enroll again even if already enrolled
  --json                 machine-readable output
  --help                 this text
`;

await runMain("enroll", async () => {
  const { values: v } = parseCli(Deno.args, {
    name: "enroll",
    usage: USAGE,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "token-stdin": { type: "boolean" },
      "ca-fingerprint": { type: "string" },
      "state-dir": { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const stateDir = v["state-dir"] ?? DEFAULT_STATE_DIR;
  if (v["token-stdin"]) {
    v.token = (await new Response(Deno.stdin.readable).text()).trim();
  }
  const needed = v.force || !(await isEnrolled(stateDir));
  for (const f of ["server", "token", "ca-fingerprint"] as const) {
    if (needed && !v[f]) {
      throw new UsageError(`--${f} is required (see --help)`);
    }
  }
  const r = await enroll({
    serverUrl: v.server!,
    token: v.token!,
    caFingerprint: v["ca-fingerprint"]!,
    stateDir,
    force: v.force ?? false,
  });
  if (v.json) {
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
