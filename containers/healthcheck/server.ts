/**
 * Container healthcheck of the signaling server: fetches /pki/ca over the
 * public HTTPS port, trusting only the server's own CA (from the data volume),
 * and checks the served CA is that CA.
 *
 * deno run --allow-net=127.0.0.1:8443 --allow-read=/data/pki/ca.pem containers/healthcheck/server.ts [URL] [CA_FILE]
 * @module
 */
const url = Deno.args[0] ?? "https://127.0.0.1:8443/pki/ca";
const caFile = Deno.args[1] ?? "/data/pki/ca.pem";
try {
  const ca = await Deno.readTextFile(caFile);
  const client = Deno.createHttpClient({ caCerts: [ca] });
  const res = await fetch(url, { client, signal: AbortSignal.timeout(4000) });
  const body = await res.text();
  client.close();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  if (body.trim() !== ca.trim()) throw new Error(`${url} serves a different CA than ${caFile}`);
  console.log(`healthy: ${url}`);
} catch (e) {
  console.error(`unhealthy: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
