import assert from "node:assert/strict";
import {
  iceServerHostPort,
  IceServerUrlSchema,
  MAX_ICE_URL_LENGTH,
  parseIceServerUrl,
} from "./ice_urls.ts";

function ok(input: string) {
  const r = parseIceServerUrl(input);
  if (!r.ok) throw new Error(`expected ${input} to parse: ${r.error}`);
  return r.url;
}

function bad(input: string, why: RegExp) {
  const r = parseIceServerUrl(input);
  assert.equal(r.ok, false, `${input} must be refused`);
  if (!r.ok) {
    assert.match(r.error, why);
    assert.match(r.error, /^invalid ICE server URL /);
  }
}

Deno.test("parseIceServerUrl: valid URLs (RFC 7064, RFC 7065)", async (t) => {
  await t.step("stun: default port 3478, no transport", () => {
    assert.deepEqual(ok("stun:stun.example.com"), {
      scheme: "stun",
      host: "stun.example.com",
      port: 3478,
      transport: null,
      href: "stun:stun.example.com:3478",
    });
  });
  await t.step("turn: default port 3478 and udp", () => {
    assert.equal(ok("turn:203.0.113.10").href, "turn:203.0.113.10:3478?transport=udp");
  });
  await t.step("turn: explicit tcp transport", () => {
    const u = ok("turn:turn.example.com:3479?transport=tcp");
    assert.equal(u.transport, "tcp");
    assert.equal(u.port, 3479);
  });
  await t.step("turns: default port 5349 over tcp (TLS)", () => {
    assert.equal(ok("turns:turn.example.com").href, "turns:turn.example.com:5349?transport=tcp");
    assert.equal(ok("turns:turn.example.com:443?transport=tcp").port, 443);
  });
  await t.step("IPv6 in brackets", () => {
    const u = ok("turn:[2001:db8::1]:3478");
    assert.equal(u.host, "2001:db8::1");
    assert.equal(u.href, "turn:[2001:db8::1]:3478?transport=udp");
    assert.equal(iceServerHostPort(u), "[2001:db8::1]:3478");
  });
  await t.step("scheme, host and transport are case-insensitive; output is lowercase", () => {
    assert.equal(
      ok("TURN:Turn.Example.COM?transport=UDP").href,
      "turn:turn.example.com:3478?transport=udp",
    );
  });
  await t.step("host:port for --allow-net", () => {
    assert.equal(iceServerHostPort(ok("turn:203.0.113.10:3478")), "203.0.113.10:3478");
  });
});

Deno.test("parseIceServerUrl: bad input is refused with a message saying what is wrong", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["http://turn.example.com", /must start with stun:, turn: or turns:/],
    ["turn.example.com:3478", /must start with/],
    ["stuns:stun.example.com", /stuns: is not supported/],
    ["turn://turn.example.com", /no "\/\/"/],
    ["turn:user:pw@turn.example.com", /no user name or password/],
    ["turn:turn.example.com/path", /no path/],
    ["turn:", /host is missing/],
    ["turn::3478", /host is missing/],
    ["turn:turn.example.com:0", /port must be 1–65535/],
    ["turn:turn.example.com:65536", /port must be 1–65535/],
    ["turn:turn.example.com:03478", /port must be/],
    ["turn:turn.example.com:abc", /port must be/],
    ["turn:turn.example.com:", /port must be/],
    ["turn:2001:db8::1", /IPv6 address must be written in brackets/],
    ["turn:[2001:db8::1", /closing "\]"/],
    ["turn:[not-v6]:3478", /not an IPv6 address/],
    ["turn:[2001:db8::1]x", /unexpected/],
    ["turn:999.1.1.1", /not a valid IPv4 address/],
    ["turn:1.2.3", /not a valid IPv4 address/],
    ["turn:-bad-.example.com", /neither an IPv4 address nor a DNS name/],
    ["turn:bad_name.example.com", /neither/],
    ["turn:turn.example.com?transport=sctp", /transport must be udp or tcp, got "sctp"/],
    ["turn:turn.example.com?foo=bar", /only query allowed/],
    ["turn:turn.example.com?transport=udp&x=1", /transport must be udp or tcp/],
    ["turns:turn.example.com?transport=udp", /turns: over udp/],
    ["stun:stun.example.com?transport=udp", /stun: URLs take no \?query/],
    ["turn:turn.example.com ", /spaces or control characters/],
    ["turn:turn.example.com\n", /control characters/],
    [`turn:${"a".repeat(MAX_ICE_URL_LENGTH)}`, /longer than 256 characters/],
    [`turn:${"a".repeat(64)}.example.com`, /neither/],
  ];
  for (const [input, why] of cases) {
    await t.step(JSON.stringify(input.slice(0, 40)), () => bad(input, why));
  }
  await t.step("never throws on non-string input", () => {
    assert.equal(parseIceServerUrl(42 as unknown as string).ok, false);
  });
});

Deno.test("IceServerUrlSchema (zod) carries the parser's message", () => {
  assert.equal(IceServerUrlSchema.parse("stun:203.0.113.10").href, "stun:203.0.113.10:3478");
  const r = IceServerUrlSchema.safeParse("turn:x.example:99999");
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0].message, /port must be 1–65535/);
});
