/**
 * Container healthcheck of the publisher: a state check. Healthy when the
 * device is enrolled (state dir complete and valid) and its client certificate
 * is currently valid; the publisher renews it at 2/3 of its lifetime, so an
 * expired certificate means renewal has been failing.
 *
 * deno run --allow-read=/state containers/healthcheck/publisher.ts [STATE_DIR]
 * @module
 */
import { loadState } from "../../publisher/device/state.ts";
import { certInfo } from "../../pki/mod.ts";

const dir = Deno.args[0] ?? "/state";
try {
  const state = await loadState(dir);
  const cert = certInfo(state.certPem);
  const now = Date.now();
  if (now < cert.notBefore.getTime()) throw new Error("device certificate not yet valid");
  if (now >= cert.notAfter.getTime()) {
    throw new Error(`device certificate expired at ${cert.notAfter.toISOString()}`);
  }
  console.log(
    `healthy: ${state.config.deviceId} enrolled at ${state.config.serverUrl}, certificate valid until ${cert.notAfter.toISOString()}`,
  );
} catch (e) {
  console.error(`unhealthy: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
