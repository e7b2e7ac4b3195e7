import assert from "node:assert/strict";
import {
  type IceSessionState,
  newEntityTag,
  offerCredentials,
  parseIfMatch,
  planPatch,
} from "./ice_patch.ts";

const PWD = "0123456789abcdef012345";
const state = (o: Partial<IceSessionState> = {}): IceSessionState => ({
  etag: '"tag-1"',
  credentials: { ufrag: "cur1", pwd: PWD },
  restarts: 0,
  ...o,
});
const CANDIDATE = "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host";
const trickle = (ufrag = "cur1") =>
  `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${PWD}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n${CANDIDATE}\r\n`;
const restart = `a=ice-ufrag:new1\r\na=ice-pwd:${
  "n".repeat(24)
}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n`;

Deno.test("parseIfMatch: * , entity-tag lists, absent, garbage", () => {
  assert.deepEqual(parseIfMatch(undefined), { kind: "absent" });
  assert.deepEqual(parseIfMatch(null), { kind: "absent" });
  assert.deepEqual(parseIfMatch(" * "), { kind: "any" });
  assert.deepEqual(parseIfMatch('"a"'), { kind: "tags", tags: ['"a"'] });
  assert.deepEqual(parseIfMatch('"a", W/"b" ,"c"'), {
    kind: "tags",
    tags: ['"a"', 'W/"b"', '"c"'],
  });
  for (const bad of ["", "abc", '"a', 'a"', '"a" "b"', '*, "a"', '"a b"']) {
    assert.equal(parseIfMatch(bad), null, bad);
  }
  assert.equal(parseIfMatch(Array(17).fill('"a"').join(",")), null, "bounded");
});

Deno.test("newEntityTag: strong, quoted, unique; offerCredentials", () => {
  const a = newEntityTag();
  assert.match(a, /^"[A-Za-z0-9_-]{22}"$/);
  assert.notEqual(a, newEntityTag());
  assert.deepEqual(
    offerCredentials(`v=0\r\nm=video 9 X 0\r\na=ice-ufrag:Ab+/\r\na=ice-pwd:${PWD}\r\n`),
    { ufrag: "Ab+/", pwd: PWD },
  );
  assert.equal(offerCredentials("v=0\r\nm=video 9 X 0\r\n"), null);
});

Deno.test("planPatch: trickle", async (t) => {
  await t.step("with the current ETag, *, or none before any restart: relayed lines", () => {
    for (const h of ['"tag-1"', '"x", "tag-1"', "*", undefined]) {
      const plan = planPatch(trickle(), parseIfMatch(h)!, state());
      assert.deepEqual(plan, {
        kind: "trickle",
        lines: [`a=ice-ufrag:cur1`, `a=ice-pwd:${PWD}`, CANDIDATE],
      }, String(h));
    }
    // The current ufrag alone names the ICE session too.
    const ufragOnly = planPatch(
      `a=ice-ufrag:cur1\r\n${CANDIDATE}\r\n`,
      { kind: "absent" },
      state({
        restarts: 2,
      }),
    );
    assert.deepEqual(ufragOnly, { kind: "trickle", lines: ["a=ice-ufrag:cur1", CANDIDATE] });
    assert.deepEqual(planPatch("a=end-of-candidates\r\n", { kind: "absent" }, state()), {
      kind: "trickle",
      lines: ["a=end-of-candidates"],
    });
  });
  await t.step("a stale or weak ETag: 412", () => {
    for (const h of ['"tag-0"', 'W/"tag-1"']) {
      const r = planPatch(trickle(), parseIfMatch(h)!, state());
      assert.equal("status" in r && r.status, 412, h);
    }
  });
  await t.step("after a restart, no If-Match: ok with the current ufrag, 428 without one", () => {
    const s = state({ restarts: 1 });
    const ok = planPatch(trickle(), { kind: "absent" }, s);
    assert.ok("kind" in ok && ok.kind === "trickle");
    const r = planPatch(`${CANDIDATE}\r\n`, { kind: "absent" }, s);
    assert.equal("status" in r && r.status, 428);
  });
});

Deno.test("planPatch: ICE restart", async (t) => {
  await t.step('new credentials with If-Match "*" or the current ETag: restart', () => {
    for (const h of ["*", '"tag-1"']) {
      const plan = planPatch(restart, parseIfMatch(h)!, state());
      assert.deepEqual(plan, {
        kind: "restart",
        credentials: { ufrag: "new1", pwd: "n".repeat(24) },
        frag: restart,
      });
    }
  });
  await t.step("without If-Match: 428; with a stale one: 412", () => {
    const none = planPatch(restart, { kind: "absent" }, state());
    assert.equal("status" in none && none.status, 428);
    const stale = planPatch(restart, parseIfMatch('"old"')!, state());
    assert.equal("status" in stale && stale.status, 412);
  });
  await t.step("unusable credentials: 400", () => {
    for (
      const frag of [
        "a=ice-ufrag:ab\r\na=ice-pwd:" + "n".repeat(24) + "\r\n",
        "a=ice-ufrag:new1\r\na=ice-pwd:short\r\n",
        "a=ice-ufrag:new!\r\na=ice-pwd:" + "n".repeat(24) + "\r\n",
      ]
    ) {
      const r = planPatch(frag, { kind: "any" }, state());
      assert.equal("status" in r && r.status, 400, frag);
    }
  });
});

Deno.test("planPatch: malformed fragments 400, renegotiation 422", () => {
  const cases: [string, number][] = [
    ["hello world\r\n", 400],
    [`a=ice-ufrag:new1\r\n${CANDIDATE}\r\n`, 400], // a new ufrag without its pwd
    [`a=ice-pwd:${PWD}\r\n${CANDIDATE}\r\n`, 400], // pwd without ufrag
    [`a=ice-ufrag:cur1\r\na=ice-ufrag:cur2\r\na=ice-pwd:${PWD}\r\n`, 400],
    [`a=candidate:${"x".repeat(600)}\r\n`, 400],
    ["v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", 422],
  ];
  for (const [frag, status] of cases) {
    const r = planPatch(frag, { kind: "any" }, state());
    assert.equal("status" in r && r.status, status, frag.slice(0, 40));
    assert.ok("message" in r && r.message.length > 10);
  }
});
