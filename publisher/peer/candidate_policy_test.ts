import assert from "node:assert/strict";
import { LOOPBACK_AND_WILDCARD_FORMS } from "../../tests/security/address_forms.ts";
import { acceptRemoteCandidate, candidateRefusal, relayAddressesOf } from "./candidate_policy.ts";

const cand = (address: string, port = 50000, type = "host", transport = "udp") =>
  `a=candidate:1 1 ${transport} 2122260223 ${address} ${port} typ ${type}`;

Deno.test("candidate policy: wildcard and loopback spellings are never used", () => {
  const policy = { viewerNets: ["10.0.0.0/8", "192.168.0.0/16"], relayAddresses: [] };
  for (const a of [...LOOPBACK_AND_WILDCARD_FORMS, "127.0.0.1", "127.0.0.2"]) {
    assert.equal(acceptRemoteCandidate(cand(a), policy), false, a);
    assert.equal(acceptRemoteCandidate(cand(a, 50000, "relay"), policy), false, `${a} relay`);
  }
  // Even a viewer net of "everything" does not make 0.0.0.0/8, multicast or broadcast usable.
  const all = { viewerNets: ["0.0.0.0/0"], relayAddresses: [] };
  for (const a of ["0.0.0.0", "0.255.1.1", "224.0.0.251", "255.255.255.255"]) {
    assert.equal(acceptRemoteCandidate(cand(a), all), false, a);
  }
});

Deno.test("candidate policy: viewer networks, TURN relays, the rest refused with a reason", () => {
  const policy = { viewerNets: ["192.168.1.0/24"], relayAddresses: ["203.0.113.10"] };
  assert.ok(acceptRemoteCandidate(cand("192.168.1.9"), policy));
  assert.ok(acceptRemoteCandidate(cand("192.168.1.9").slice(2), policy), "without a=");
  assert.ok(acceptRemoteCandidate(cand("203.0.113.10", 61000, "relay"), policy));
  assert.equal(
    candidateRefusal(cand("203.0.113.10", 61000, "srflx"), policy),
    "outside the viewer networks",
  );
  // A "relay" label at another address counts for nothing (the viewer writes the type).
  assert.equal(
    candidateRefusal(cand("203.0.113.11", 61000, "relay"), { ...policy, relayAddresses: [] }),
    "outside the viewer networks",
  );
  assert.equal(candidateRefusal(cand("192.168.2.9"), policy), "outside the viewer networks");
  // With TURN, a remote viewer's public reflexive address is used (through the relay only);
  // private, CGNAT, link-local and loopback addresses outside the viewer nets still are not.
  assert.ok(acceptRemoteCandidate(cand("198.51.100.7", 40000, "srflx"), policy));
  assert.ok(acceptRemoteCandidate(cand("198.51.100.7", 40000, "prflx"), policy));
  for (const a of ["10.64.0.10", "172.20.1.1", "100.64.3.3", "169.254.9.9", "127.0.0.1"]) {
    assert.equal(
      candidateRefusal(cand(a, 40000, "srflx"), policy),
      "outside the viewer networks",
      a,
    );
  }
  // Without TURN the same public address is refused.
  assert.equal(
    candidateRefusal(cand("198.51.100.7", 40000, "srflx"), {
      viewerNets: ["192.168.1.0/24"],
      relayAddresses: [],
    }),
    "outside the viewer networks",
  );
  assert.equal(candidateRefusal(cand("192.168.1.9", 0), policy), "bad port");
  assert.equal(candidateRefusal(cand("192.168.1.9", 70000), policy), "bad port");
  assert.equal(candidateRefusal(cand("192.168.1.9", 9, "host", "tcp"), policy), "not UDP");
  assert.equal(candidateRefusal("a=candidate:garbage", policy), "malformed candidate");
  // Loopback only when a viewer network names it (single-host setups).
  assert.ok(
    acceptRemoteCandidate(cand("127.0.0.1"), { viewerNets: ["127.0.0.1/8"], relayAddresses: [] }),
  );
});

Deno.test("relayAddressesOf: IPv4 TURN hosts only", () => {
  assert.deepEqual(
    relayAddressesOf([
      "turn:203.0.113.10:3478?transport=udp",
      "turns:203.0.113.10:443?transport=tcp",
      "turn:turn.example.com:3478",
      "stun:198.51.100.1:3478",
      "turn:[2001:db8::1]:3478",
      "turn:198.51.100.2",
    ]),
    ["203.0.113.10", "198.51.100.2"],
  );
});
