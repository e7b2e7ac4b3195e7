import assert from "node:assert/strict";
import {
  cidrRange,
  CoturnConfigError,
  type CoturnSettings,
  loadCoturnTemplate,
  rangeText,
  renderCoturnConfig,
} from "./coturn_config.ts";

const SECRET = "s3cret-shared-with-coturn-0123456789abcdef";
const base: CoturnSettings = {
  realm: "cams.example.com",
  listeningIps: ["203.0.113.10"],
  secret: SECRET,
  ownAddresses: ["10.99.0.0/24"],
  stateDir: "/data/turn",
};

/** `key=value` lines (and bare flags) of a coturn config, comments dropped. */
function directives(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

Deno.test("the shipped coturn template", async (t) => {
  const template = await loadCoturnTemplate();
  const d = directives(template);
  await t.step("holds no secret and no deployment value", () => {
    assert.ok(!d.some((l) => /^(static-auth-secret|listening-ip|relay-ip|realm|user)=/.test(l)));
  });
  await t.step("has the hardening directives", () => {
    for (
      const x of [
        "use-auth-secret",
        "fingerprint",
        "no-cli",
        "no-multicast-peers",
        "no-tcp-relay",
        "no-tlsv1",
        "no-tlsv1_1",
        "stale-nonce=600",
        "no-software-attribute",
      ]
    ) assert.ok(d.includes(x), `missing ${x}`);
    for (const x of ["user-quota=", "total-quota=", "max-bps=", "bps-capacity="]) {
      assert.ok(d.some((l) => l.startsWith(x)), `missing ${x}`);
    }
    assert.ok(
      !d.some((l) => /^(allow-loopback-peers|server-relay|lt-cred-mech|web-admin)/.test(l)),
    );
  });
  await t.step("no range starts at :: (coturn 4.6 would match every IPv4 peer)", () => {
    const ranges = d.filter((l) => /^(denied|allowed)-peer-ip=/.test(l)).map((l) =>
      l.split("=")[1]
    );
    for (const r of ranges) assert.ok(!/^::(-|$)/.test(r), r);
  });
  await t.step("denies loopback, private, CGNAT, link-local/metadata and mapped IPv6", () => {
    const denied = d.filter((l) => l.startsWith("denied-peer-ip=")).map((l) => l.slice(15));
    for (
      const r of [
        "127.0.0.0-127.255.255.255",
        "10.0.0.0-10.255.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "100.64.0.0-100.127.255.255",
        "169.254.0.0-169.254.255.255",
        "::1",
        "::ffff:0.0.0.0-::ffff:255.255.255.255",
        "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      ]
    ) assert.ok(denied.includes(r), `missing denied-peer-ip=${r}`);
  });
});

Deno.test("renderCoturnConfig", async (t) => {
  const template = "# fixed\nuse-auth-secret\n";
  await t.step("appends the deployment lines; own addresses are denied, even unlisted ones", () => {
    const text = renderCoturnConfig(template, {
      ...base,
      externalIp: "198.51.100.7/203.0.113.10",
      allowedPeers: ["192.168.50.0/24"],
      minPort: 49160,
      maxPort: 49200,
      logFile: "/tmp/x.log",
    });
    const d = directives(text);
    assert.equal(d[0], "use-auth-secret");
    for (
      const x of [
        "realm=cams.example.com",
        "listening-ip=203.0.113.10",
        "external-ip=198.51.100.7/203.0.113.10",
        "listening-port=3478",
        "no-tls",
        "min-port=49160",
        "max-port=49200",
        "denied-peer-ip=203.0.113.10",
        "denied-peer-ip=198.51.100.7",
        "denied-peer-ip=10.99.0.0-10.99.0.255",
        "allowed-peer-ip=192.168.50.0-192.168.50.255",
        "userdb=/data/turn/turndb",
        "pidfile=/data/turn/turnserver.pid",
        "log-file=/tmp/x.log",
        `static-auth-secret=${SECRET}`,
      ]
    ) assert.ok(d.includes(x), `missing ${x}`);
  });
  await t.step(
    "relayToSelf allows exactly the relay and external addresses, off by default",
    () => {
      const off = directives(renderCoturnConfig(template, base));
      assert.ok(!off.some((l) => l.startsWith("allowed-peer-ip=")));
      const on = directives(renderCoturnConfig(template, {
        ...base,
        relayToSelf: true,
        externalIp: "198.51.100.7/203.0.113.10",
      }));
      assert.deepEqual(on.filter((l) => l.startsWith("allowed-peer-ip=")), [
        "allowed-peer-ip=203.0.113.10",
        "allowed-peer-ip=198.51.100.7",
      ]);
      assert.ok(
        on.includes("denied-peer-ip=10.99.0.0-10.99.0.255"),
        "its own networks stay denied",
      );
    },
  );
  await t.step("TLS for turns: when cert and key are given", () => {
    const d = directives(renderCoturnConfig(template, {
      ...base,
      tls: { certFile: "/data/tls/c.pem", keyFile: "/data/tls/k.pem" },
    }));
    assert.ok(d.includes("tls-listening-port=5349"));
    assert.ok(d.includes("cert=/data/tls/c.pem"));
    assert.ok(!d.includes("no-tls"));
  });

  const refuses = (why: RegExp, patch: Partial<CoturnSettings>) => {
    assert.throws(
      () => renderCoturnConfig(template, { ...base, ...patch } as CoturnSettings),
      (e: Error) => {
        assert.ok(e instanceof CoturnConfigError, String(e));
        assert.match(e.message, why);
        assert.ok(!e.message.includes(SECRET), "the secret must not appear in errors");
        return true;
      },
    );
  };
  await t.step("an allowed range that includes the server's own address is refused", () => {
    refuses(/allowed peer range 10\.0\.0\.0\/8 includes the server's own 10\.99\.0\.0\/24/, {
      allowedPeers: ["10.0.0.0/8"],
    });
    refuses(/includes the server's own 203\.0\.113\.10/, { allowedPeers: ["203.0.113.0/24"] });
    refuses(/includes the server's own 127\.0\.0\.0\/8/, { allowedPeers: ["127.0.0.1"] });
  });
  await t.step("bad values are refused with the field named", () => {
    refuses(/listeningIps: name at least one/, { listeningIps: [] });
    refuses(/listeningIps\.0: not an IP address/, { listeningIps: ["0.0.0.0.0"] });
    refuses(/ownAddresses\.0: not an IP address or CIDR/, { ownAddresses: ["10.0.0.0/33"] });
    refuses(/may not start at 0\.0\.0\.0 or ::/, { allowedPeers: ["0.0.0.0/0"] });
    refuses(/may not start at 0\.0\.0\.0 or ::/, { ownAddresses: ["::/64"] });
    refuses(/realm: a realm is a DNS name/, { realm: "bad realm\nno-cli" });
    refuses(/secret: the TURN secret is/, { secret: "short" });
    refuses(/secret: the TURN secret is/, { secret: `${"a".repeat(40)}\nallow-loopback-peers` });
    refuses(/minPort is above maxPort/, { minPort: 50000, maxPort: 49999 });
    refuses(/stateDir: no line breaks/, { stateDir: "/x\nserver-relay" });
    refuses(/Unrecognized key/i, { serverRelay: true } as Partial<CoturnSettings>);
  });
});

Deno.test("cidrRange / rangeText", () => {
  assert.equal(rangeText("192.168.1.0/24"), "192.168.1.0-192.168.1.255");
  assert.equal(rangeText("192.168.1.77/24"), "192.168.1.0-192.168.1.255");
  assert.equal(rangeText("203.0.113.10"), "203.0.113.10");
  assert.equal(rangeText("0.0.0.0/0"), "0.0.0.0-255.255.255.255");
  assert.equal(rangeText("fd00::/8"), "fd00:0:0:0:0:0:0:0-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  assert.equal(rangeText("::1"), "0:0:0:0:0:0:0:1");
  assert.equal(cidrRange("10.0.0.0/x"), null);
  assert.equal(cidrRange("10.0.0.0/8/8"), null);
  assert.equal(cidrRange("::1/129"), null);
  assert.throws(() => rangeText("nope"), CoturnConfigError);
});
