/**
 * ICE servers from the server (issue 15): `--ice-server` URLs reach viewers
 * as `Link: <…>; rel="ice-server"` on the WHEP 201 (RFC 9725 section 4.6)
 * and from the authenticated `GET /whep/:camera/ice-servers` before the
 * offer, and reach publishers in every `offer` with their own credential;
 * the `welcome` names the servers without any credential. Every TURN
 * credential is a valid TURN REST one for the shared secret
 * (draft-uberti-behave-turn-rest-00 §2.2) and expires after `--turn-ttl`.
 */
import assert from "node:assert/strict";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";
import { turnPassword, usernameExpiry } from "../../signaling/turn/credentials.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { serverFlags } from "../../signaling/config/flags.ts";

// A name that resolves here: viewers get it as written, publishers its IPv4 address
// (their grants are exact addresses; turns: keeps its name for the TLS check).
const STUN = "stun:localhost:3478";
const TURN = "turn:localhost:3478?transport=udp";
const TURNS = "turns:localhost:443?transport=tcp";
const PUB_STUN = "stun:127.0.0.1:3478";
const PUB_TURN = "turn:127.0.0.1:3478?transport=udp";

/** `Link` values (one per URL) → url, params. */
function parseLinks(header: string | null): { url: string; params: Record<string, string> }[] {
  if (!header) return [];
  return [...header.matchAll(/<([^>]+)>((?:\s*;\s*[a-z-]+="(?:[^"\\]|\\.)*")*)/g)].map((m) => ({
    url: m[1],
    params: Object.fromEntries(
      [...m[2].matchAll(/([a-z-]+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1], p[2]]),
    ),
  }));
}

Deno.test("ICE servers: per-session TURN credentials for viewers and publishers", async (t) => {
  const secretDir = await Deno.makeTempDir({ prefix: "vigil-turn-secret-" });
  const secretFile = `${secretDir}/secret`;
  const secret = "shared-with-coturn-0123456789abcdefghijkl";
  await Deno.writeTextFile(secretFile, `${secret}\n`, { mode: 0o600 });
  await Deno.chmod(secretFile, 0o600);
  const s = await startTestServer({
    iceServerUrls: [STUN, TURN, TURNS],
    turnSecretFile: secretFile,
    turnTtlMs: 120_000,
  });
  const dev = await enrollDevice(s, "door");
  const pub = await connectPublisher(dev, "Front door");
  const alice = await loginViewer(s, "alice", ["door"]);
  const call = (method: string, path: string, token: string | null = alice.token, body?: string) =>
    fetch(`${s.base}${path}`, {
      method,
      client: s.client,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/sdp" } : {}),
      },
      body,
    });
  const checkTurnCredential = async (username: string, credential: string) => {
    assert.equal(credential, await turnPassword(secret, username), "HMAC-SHA1 of the secret");
    const expiry = usernameExpiry(username)!;
    const left = expiry * 1000 - Date.now();
    assert.ok(left > 100_000 && left <= 120_000, `expires in ${left} ms`);
    assert.doesNotMatch(username, /alice|door/, "the opaque id names no one");
  };
  try {
    await t.step("welcome names the servers (as addresses), without any credential", () => {
      const welcome = pub.received.find((m) => m.type === "welcome")!;
      assert.deepEqual(welcome.iceServers, [{ urls: [PUB_STUN, PUB_TURN, TURNS] }]);
    });

    const seen: string[] = [];
    await t.step(
      "GET /whep/:camera/ice-servers: JSON and Link headers, fresh credential",
      async () => {
        const res = await call("GET", "/whep/door/ice-servers");
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("cache-control"), "no-store");
        const body = await res.json();
        assert.equal(body.iceServers.length, 2);
        assert.deepEqual(body.iceServers[0], { urls: [STUN] });
        const turn = body.iceServers[1];
        assert.deepEqual(turn.urls, [TURN, TURNS]);
        await checkTurnCredential(turn.username, turn.credential);
        assert.equal(new Date(body.expiresAt).getTime(), usernameExpiry(turn.username)! * 1000);
        const links = parseLinks(res.headers.get("link"));
        assert.deepEqual(links.map((l) => l.url), [STUN, TURN, TURNS]);
        assert.deepEqual(links[0].params, { rel: "ice-server" });
        assert.deepEqual(links[1].params, {
          rel: "ice-server",
          username: turn.username,
          credential: turn.credential,
          "credential-type": "password",
        });
        seen.push(turn.username);
        const again = await (await call("GET", "/whep/door/ice-servers")).json();
        assert.notEqual(again.iceServers[1].username, turn.username, "one credential per call");
        seen.push(again.iceServers[1].username);
      },
    );

    await t.step("ice-servers: 401 without a token, 403 outside scope, 405 for POST", async () => {
      const none = await call("GET", "/whep/door/ice-servers", null);
      assert.equal(none.status, 401);
      await none.body?.cancel();
      const other = await call("GET", "/whep/garden/ice-servers");
      assert.equal(other.status, 403);
      await other.body?.cancel();
      const post = await call("POST", "/whep/door/ice-servers", null, "x");
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD, OPTIONS");
      await post.body?.cancel();
    });

    await t.step(
      "201: Link ice-server headers; the publisher's offer has its own credential",
      async () => {
        const res = await call("POST", "/whep/door", alice.token, RECVONLY_OFFER);
        assert.equal(res.status, 201);
        await res.body?.cancel();
        const links = parseLinks(res.headers.get("link"));
        assert.deepEqual(links.map((l) => l.url), [STUN, TURN, TURNS]);
        const viewerCred = links[1].params;
        await checkTurnCredential(viewerCred.username, viewerCred.credential);
        const offer = pub.received.findLast((m) => m.type === "offer")!;
        const servers = offer.iceServers as {
          urls: string[];
          username?: string;
          credential?: string;
        }[];
        assert.deepEqual(servers.map((x) => x.urls), [[PUB_STUN], [PUB_TURN, TURNS]]);
        await checkTurnCredential(servers[1].username!, servers[1].credential!);
        const all = [...seen, viewerCred.username, servers[1].username!];
        assert.equal(new Set(all).size, all.length, "every credential is new");
      },
    );

    await t.step("no credential in the audit log", async () => {
      const audit = await Deno.readTextFile(`${s.dataDir}/audit.log`);
      assert.ok(!audit.includes(secret));
      for (const u of seen) assert.ok(!audit.includes(u));
    });
  } finally {
    pub.close();
    await s.stop();
    await Deno.remove(secretDir, { recursive: true });
  }
});

Deno.test("ICE server settings: bad URLs refused, secret created in the data dir, flags read it", async (t) => {
  await t.step("a bad --ice-server is refused with the parser's message", () => {
    assert.throws(
      () => parseServeArgs(["--ice-server", "turn:localhost:99999"], null),
      /port must be 1–65535/,
    );
    assert.throws(() => parseServeArgs(["--turn-ttl", "500ms"], null), /at least 1s/);
  });
  await t.step("repeatable; the secret file is readable under serverFlags", () => {
    const o = parseServeArgs(
      ["--ice-server", STUN, "--ice-server", TURN, "--turn-secret-file", "/etc/vigil/turn"],
      null,
    );
    assert.deepEqual(o.settings.iceServerUrls, [STUN, TURN]);
    assert.equal(o.settings.turnTtlMs, 300_000);
    assert.ok(
      serverFlags(o).some((f) => f.startsWith("--allow-read=") && f.includes("/etc/vigil/turn")),
    );
    // The bare name, so the server may resolve it for publishers.
    const net = serverFlags(o).find((f) => f.startsWith("--allow-net="))!;
    assert.ok(net.split("=")[1].split(",").includes("localhost"), net);
  });
  await t.step(
    "a turn: URL without --turn-secret-file: a 0600 secret in the data dir",
    async () => {
      const s = await startTestServer({ iceServerUrls: [TURN] });
      try {
        const info = await Deno.stat(`${s.dataDir}/turn/secret`);
        assert.equal(info.mode! & 0o777, 0o600);
      } finally {
        await s.stop();
      }
    },
  );
});
