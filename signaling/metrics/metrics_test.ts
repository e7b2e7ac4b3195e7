import assert from "node:assert/strict";
import { MAX_REASONS, refusalReason, ServerMetrics } from "./metrics.ts";
import { parseMetricsToken } from "./token_file.ts";

const empty = {
  devices: () => Promise.resolve({ enrolled: 0, online: 0 }),
  sessionsActive: () => 0,
  cameraStats: () => [],
  recordings: () => Promise.resolve([]),
};

Deno.test("refusal reasons: refusal events only, kind and reason, bounded length", () => {
  assert.equal(refusalReason("token.refused", { reason: "expired" }), "token: expired");
  assert.equal(refusalReason("login.failure", { reason: "bad password" }), "login: bad password");
  assert.equal(refusalReason("login.throttled", { user: "x" }), "login: throttled");
  assert.equal(refusalReason("admin.refused", {}), "admin: unknown");
  assert.equal(refusalReason("session.start", { reason: "x" }), null);
  assert.equal(refusalReason("mtls.refused", { reason: "x".repeat(500) })?.length, 80);
});

Deno.test("refusal labels are capped: later reasons count as other", async () => {
  const m = new ServerMetrics(empty);
  for (let i = 0; i < MAX_REASONS + 10; i++) m.observeAudit("token.refused", { reason: `r${i}` });
  m.observeAudit("token.refused", { reason: "r0" });
  const text = await m.text();
  assert.equal(text.match(/^vigil_auth_refusals_total\{/gm)?.length, MAX_REASONS + 1);
  assert.match(text, /vigil_auth_refusals_total\{reason="other"\} 10/);
  assert.match(text, /vigil_auth_refusals_total\{reason="token: r0"\} 2/);
});

Deno.test("two servers in one process keep their own registries", async () => {
  const a = new ServerMetrics(empty);
  const b = new ServerMetrics({ ...empty, sessionsActive: () => 4 });
  a.whepSetup("ok", 0.1);
  assert.match(await a.text(), /vigil_whep_setups_total\{result="ok"\} 1/);
  assert.doesNotMatch(await b.text(), /result="ok"/);
  assert.match(await b.text(), /vigil_whep_sessions_active 4/);
});

Deno.test("metrics token file: one line, 32–512 characters", () => {
  assert.equal(parseMetricsToken("a".repeat(32) + "\n"), "a".repeat(32));
  assert.throws(() => parseMetricsToken("short"), /32–512 characters/);
  assert.throws(() => parseMetricsToken("a".repeat(20) + " " + "b".repeat(20)), /one line/);
});

Deno.test("recordings per camera: bytes and segments, one index read per scrape", async () => {
  let reads = 0;
  const m = new ServerMetrics({
    ...empty,
    recordings: () => {
      reads++;
      return Promise.resolve([
        { camera: "door", segments: 3, bytes: 3_000_000, fromMs: 0, toMs: 60_000 },
        { camera: "yard", segments: 1, bytes: 10, fromMs: 0, toMs: 1 },
      ]);
    },
  });
  const text = await m.text();
  assert.match(text, /^vigil_recordings_bytes\{camera="door"\} 3000000$/m);
  assert.match(text, /^vigil_recordings_segments\{camera="yard"\} 1$/m);
  assert.equal(reads, 1);
  await m.text();
  assert.equal(reads, 2, "read again at the next scrape");
});
