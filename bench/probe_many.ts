/**
 * Bench helper: N concurrent werift WHEP viewers (tests/helpers/whep_probe.ts)
 * in one process, for `seconds`. Prints one JSON line with per-viewer results.
 *
 * `deno run -A bench/probe_many.ts BASE CAMERA USER N SECONDS`
 * (password from $VIGIL_PASSWORD, CA PEM from $VIGIL_CA_FILE)
 * @module
 */
import { probeWhep } from "../tests/helpers/whep_probe.ts";

const [base, camera, user, n, secs] = Deno.args;
const password = Deno.env.get("VIGIL_PASSWORD") ?? "";
const client = Deno.createHttpClient({
  caCerts: [Deno.readTextFileSync(Deno.env.get("VIGIL_CA_FILE")!)],
});
const login = await fetch(`${base}/auth/login`, {
  method: "POST",
  client,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: user, password }),
});
if (login.status !== 200) {
  console.log(JSON.stringify({ error: `login ${login.status}` }));
  Deno.exit(1);
}
const { accessToken } = await login.json();
const results = await Promise.all(
  Array.from(
    { length: Number(n) },
    () => probeWhep(base, camera, accessToken, client, Number(secs)),
  ),
);
console.log(JSON.stringify({ results }));
client.close();
Deno.exit(0);
