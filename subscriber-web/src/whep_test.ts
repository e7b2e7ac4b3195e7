import assert from "node:assert/strict";
import {
  applyRestartAnswer,
  buildRestartFrag,
  buildSdpFrag,
  describeWhepStatus,
  parseIceServers,
  parseLocalIce,
  resolveSessionPath,
  WhepError,
  WhepSession,
} from "./whep.ts";

const OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=msid-semantic: WMS",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
  "c=IN IP4 0.0.0.0",
  "a=ice-ufrag:EsAw",
  "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
  "a=ice-options:trickle",
  "a=fingerprint:sha-256 AA:BB",
  "a=setup:actpass",
  "a=mid:0",
  "a=recvonly",
  "a=rtpmap:96 H264/90000",
  "",
].join("\r\n");

const C1 = "candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw";
const C2 =
  "candidate:3471623853 1 udp 1686052607 198.51.100.7 61764 typ srflx raddr 192.0.2.1 rport 61764";

Deno.test("whep: parseLocalIce reads credentials and media sections", () => {
  assert.deepEqual(parseLocalIce(OFFER), {
    ufrag: "EsAw",
    pwd: "P2uYro0UCOQ4zxjKXaWCBui1",
    media: [{ mid: "0", mline: "m=video 9 UDP/TLS/RTP/SAVPF 96 97" }],
  });
});

Deno.test("whep: sdpfrag with candidates (RFC 8840 layout)", () => {
  const frag = buildSdpFrag(parseLocalIce(OFFER), [
    { candidate: C1, sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "EsAw" },
    { candidate: C2, sdpMid: null, sdpMLineIndex: 0 },
  ], false);
  assert.equal(
    frag,
    [
      "a=ice-ufrag:EsAw",
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
      "a=mid:0",
      `a=${C1}`,
      `a=${C2}`,
      "",
    ].join("\r\n"),
  );
});

Deno.test("whep: sdpfrag end-of-candidates, alone or after candidates", () => {
  const info = parseLocalIce(OFFER);
  assert.equal(
    buildSdpFrag(info, [], true),
    "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:0\r\na=end-of-candidates\r\n",
  );
  const lines = buildSdpFrag(info, [{ candidate: C1, sdpMid: "0" }], true).trim().split("\r\n");
  assert.deepEqual(lines.slice(-2), [`a=${C1}`, "a=end-of-candidates"]);
});

Deno.test("whep: sdpfrag drops other ICE generations and empty candidates", () => {
  const frag = buildSdpFrag(parseLocalIce(OFFER), [
    { candidate: C1, sdpMid: "0", usernameFragment: "old1" },
    { candidate: "", sdpMid: "0" },
  ], false);
  assert.equal(frag, "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n");
});

Deno.test("whep: session location must be same-origin", () => {
  assert.equal(
    resolveSessionPath("/whep/cam1/sessions/abc", "https://vigil.test/whep/cam1"),
    "/whep/cam1/sessions/abc",
  );
  assert.equal(
    resolveSessionPath("sessions/x?y=1", "https://vigil.test/whep/cam1"),
    "/whep/sessions/x?y=1",
  );
  assert.throws(
    () => resolveSessionPath("https://evil.test/steal", "https://vigil.test/whep/cam1"),
    WhepError,
  );
  assert.throws(
    () => resolveSessionPath("//evil.test/steal", "https://vigil.test/whep/cam1"),
    WhepError,
  );
  assert.throws(() => resolveSessionPath(null, "https://vigil.test/whep/cam1"), WhepError);
});

Deno.test("whep: readable, classified status messages", () => {
  assert.equal(describeWhepStatus(403).retryable, false);
  assert.match(describeWhepStatus(403).message, /not allowed/);
  assert.equal(describeWhepStatus(404).retryable, false);
  for (const s of [409, 429, 503, 504, 500, 0]) {
    assert.equal(describeWhepStatus(s).retryable, true, String(s));
  }
  assert.match(describeWhepStatus(429, 5000).message, /Retrying in 5 s/);
  assert.match(describeWhepStatus(504).message, /did not answer/);
});

// --- WhepSession with a fake peer connection and a fake API ------------------

class FakeCandidateEvent extends Event {
  constructor(readonly candidate: Record<string, unknown> | null) {
    super("icecandidate");
  }
}

class FakePc extends EventTarget {
  transceivers: unknown[] = [];
  localDescription: { type: string; sdp: string } | null = null;
  remote: string | null = null;
  closed = false;
  connectionState = "new";
  restarts = 0;
  get remoteDescription() {
    return this.remote === null ? null : { type: "answer", sdp: this.remote };
  }
  addTransceiver(kind: string, init: unknown) {
    this.transceivers.push({ kind, init });
  }
  restartIce() {
    this.restarts++;
  }
  createOffer() {
    // After restartIce(), new credentials (as JSEP makes them).
    const sdp = this.restarts === 0
      ? OFFER
      : OFFER.replace("EsAw", `Rs${this.restarts}x`).replace("P2uYro", `R${this.restarts}Yro`);
    return Promise.resolve({ type: "offer", sdp });
  }
  setLocalDescription(d: { type: string; sdp: string }) {
    this.localDescription = d;
    return Promise.resolve();
  }
  setRemoteDescription(d: { sdp: string }) {
    this.remote = d.sdp;
    return Promise.resolve();
  }
  close() {
    this.closed = true;
  }
  candidate(c: string | null) {
    this.dispatchEvent(
      new FakeCandidateEvent(
        c === null
          ? null
          : { candidate: c, sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "EsAw" },
      ),
    );
  }
}

interface Call {
  path: string;
  method: string;
  headers: Headers;
  body: string;
}

function fakeApi(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  return {
    calls,
    url: (p: string) => `https://vigil.test${p}`,
    authorization: () => "Bearer t0k",
    fetch: async (path: string, init: RequestInit = {}) => {
      const call = {
        path,
        method: init.method ?? "GET",
        headers: new Headers(init.headers),
        body: typeof init.body === "string" ? init.body : "",
      };
      calls.push(call);
      return await respond(call);
    },
  };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

Deno.test("whep: offer is POSTed at once, candidates trickle in batches, end-of-candidates, DELETE", async () => {
  let releaseAnswer!: () => void;
  const answerGate = new Promise<void>((r) => (releaseAnswer = r));
  const api = fakeApi(async (call) => {
    if (call.method === "POST") {
      await answerGate;
      return new Response("v=0\r\nanswer", {
        status: 201,
        headers: {
          location: "/whep/cam1/sessions/s1",
          etag: '"e1"',
          "content-type": "application/sdp",
        },
      });
    }
    if (call.method === "PATCH") return new Response(null, { status: 204 });
    return new Response(null, { status: 200 });
  });
  const pc = new FakePc();
  const session = new WhepSession({
    api,
    camera: "cam1",
    batchMs: 5,
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  assert.deepEqual(pc.transceivers, [{ kind: "video", init: { direction: "recvonly" } }]);

  const connecting = session.connect();
  await tick();
  // The offer went out before any candidate was gathered.
  assert.equal(api.calls.length, 1);
  assert.equal(api.calls[0].path, "/whep/cam1");
  assert.equal(api.calls[0].headers.get("content-type"), "application/sdp");
  assert.equal(api.calls[0].body, OFFER);

  // Candidates gathered while the POST is in flight wait for the Location.
  pc.candidate(C1);
  pc.candidate(C2);
  await tick(20);
  assert.equal(api.calls.length, 1);

  releaseAnswer();
  await connecting;
  assert.equal(pc.remote, "v=0\r\nanswer");
  assert.equal(session.sessionUrl, "/whep/cam1/sessions/s1");
  assert.ok(session.offerSentAt !== null);
  await tick(5);
  const patches = () => api.calls.filter((c) => c.method === "PATCH");
  assert.equal(patches().length, 1, "both early candidates in one PATCH");
  assert.equal(patches()[0].path, "/whep/cam1/sessions/s1");
  assert.equal(patches()[0].headers.get("content-type"), "application/trickle-ice-sdpfrag");
  assert.equal(patches()[0].headers.get("if-match"), '"e1"');
  assert.ok(patches()[0].body.includes(`a=${C1}\r\na=${C2}\r\n`));
  assert.ok(!patches()[0].body.includes("end-of-candidates"));

  // A later candidate and the end of gathering: one more PATCH, ending the list.
  pc.candidate(C2.replace("3471623853", "1111"));
  pc.candidate(null);
  await tick(20);
  assert.equal(patches().length, 2);
  assert.match(patches()[1].body, /a=candidate:1111 .*\r\na=end-of-candidates\r\n$/);

  await session.close();
  assert.ok(pc.closed);
  const del = api.calls.at(-1)!;
  assert.equal(del.method, "DELETE");
  assert.equal(del.path, "/whep/cam1/sessions/s1");
  // closing twice does nothing
  await session.close();
  assert.equal(api.calls.filter((c) => c.method === "DELETE").length, 1);
});

Deno.test("whep: error statuses become WhepError with the readable message", async () => {
  for (
    const [status, retryable] of [
      [403, false],
      [404, false],
      [409, true],
      [429, true],
      [503, true],
      [504, true],
    ] as const
  ) {
    const api = fakeApi(() =>
      new Response(JSON.stringify({ error: "x", message: "server says" }), {
        status,
        headers: { "retry-after": "3" },
      })
    );
    const session = new WhepSession({
      api,
      camera: "cam1",
      createPeerConnection: () => new FakePc() as unknown as RTCPeerConnection,
    });
    await assert.rejects(session.connect(), (e: unknown) => {
      assert.ok(e instanceof WhepError);
      assert.equal(e.status, status);
      assert.equal(e.retryable, retryable);
      assert.equal(e.message, describeWhepStatus(status, 3000).message);
      assert.equal(e.retryAfterMs, 3000);
      return true;
    });
    await session.close();
    assert.equal(api.calls.filter((c) => c.method === "DELETE").length, 0, "no session to delete");
  }
});

Deno.test("whep: trickle not supported (405) stops further PATCHes", async () => {
  const api = fakeApi((call) =>
    call.method === "POST"
      ? new Response("answer", { status: 201, headers: { location: "/whep/c/sessions/1" } })
      : new Response(null, { status: 405 })
  );
  const pc = new FakePc();
  const session = new WhepSession({
    api,
    camera: "c",
    batchMs: 1,
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  await session.connect();
  pc.candidate(C1);
  await tick(10);
  pc.candidate(C2);
  pc.candidate(null);
  await tick(10);
  assert.equal(api.calls.filter((c) => c.method === "PATCH").length, 1);
  await session.close();
});

Deno.test("whep: closing during the POST deletes the session once it exists", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const api = fakeApi(async (call) => {
    if (call.method === "POST") {
      await gate;
      return new Response("answer", {
        status: 201,
        headers: { location: "/whep/c/sessions/late" },
      });
    }
    return new Response(null, { status: 200 });
  });
  const session = new WhepSession({
    api,
    camera: "c",
    createPeerConnection: () => new FakePc() as unknown as RTCPeerConnection,
  });
  const p = session.connect();
  await tick();
  const closing = session.close();
  release();
  await assert.rejects(p, WhepError);
  await closing;
  await tick();
  // The POST's fetch ignores the abort in this fake, so the late session is cleaned up.
  assert.deepEqual(api.calls.map((c) => c.method), ["POST", "DELETE"]);
  assert.equal(api.calls[1].path, "/whep/c/sessions/late");
});

const ANSWER = [
  "v=0",
  "o=- 1 1 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=ice-ufrag:pub1",
  "a=ice-pwd:0123456789abcdef012345",
  "a=mid:0",
  "a=sendonly",
  "a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host",
  "a=end-of-candidates",
  "",
].join("\r\n");
const RESTART_200 = [
  "a=group:BUNDLE 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=mid:0",
  "a=ice-ufrag:pub2",
  "a=ice-pwd:abcdefghijabcdefghij22",
  "a=candidate:2 1 udp 2130706431 192.0.2.10 40000 typ host",
  "a=candidate:3 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 192.0.2.10 rport 40000",
  "a=end-of-candidates",
  "",
].join("\r\n");

Deno.test("whep: the ICE restart request and the applied 200 (pure)", () => {
  assert.equal(
    buildRestartFrag(parseLocalIce(OFFER)),
    "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:0\r\n",
  );
  const sdp = applyRestartAnswer(ANSWER, RESTART_200);
  assert.match(sdp, /^a=ice-ufrag:pub2\r$/m);
  assert.match(sdp, /^a=ice-pwd:abcdefghijabcdefghij22\r$/m);
  assert.doesNotMatch(
    sdp,
    /pub1|0123456789abcdef012345|candidate:1 /,
    "the old ICE session is gone",
  );
  assert.match(
    sdp,
    /a=mid:0\r\na=sendonly\r\na=candidate:2 .*\r\na=candidate:3 .*\r\na=end-of-candidates\r\n$/,
  );
  assert.equal(sdp.match(/a=end-of-candidates/g)?.length, 1);
  assert.match(sdp, /^v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n/, "everything but ICE unchanged");
  assert.throws(() => applyRestartAnswer(ANSWER, "a=candidate:x\r\n"), /ice-ufrag/);
});

Deno.test('whep: restartIce PATCHes If-Match "*", applies the 200, trickles with the new ETag', async () => {
  let restart!: () => void;
  const gate = new Promise<void>((r) => (restart = r));
  const api = fakeApi(async (call) => {
    if (call.method === "POST") {
      return new Response(ANSWER, {
        status: 201,
        headers: { location: "/whep/c/sessions/s1", etag: '"e1"' },
      });
    }
    if (call.method === "PATCH" && call.headers.get("if-match") === "*") {
      await gate;
      return new Response(RESTART_200, {
        status: 200,
        headers: { etag: '"e2"', "content-type": "application/trickle-ice-sdpfrag" },
      });
    }
    return new Response(null, { status: call.method === "PATCH" ? 204 : 200 });
  });
  const pc = new FakePc();
  const session = new WhepSession({
    api,
    camera: "c",
    batchMs: 1,
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  await session.connect();
  const restarting = session.restartIce();
  await tick();
  const patches = () => api.calls.filter((c) => c.method === "PATCH");
  assert.equal(pc.restarts, 1);
  assert.equal(patches().length, 1);
  assert.equal(patches()[0].headers.get("if-match"), "*");
  assert.match(patches()[0].body, /^a=ice-ufrag:Rs1x\r\na=ice-pwd:R1Yro/);
  // Candidates of the new generation wait for the restart's ETag.
  pc.dispatchEvent(
    new FakeCandidateEvent({
      candidate: C1.replace("EsAw", "Rs1x"),
      sdpMid: "0",
      usernameFragment: "Rs1x",
    }),
  );
  await tick(10);
  assert.equal(patches().length, 1);
  restart();
  await restarting;
  assert.equal(session.iceRestarts, 1);
  assert.match(pc.remote!, /a=ice-ufrag:pub2/);
  await tick(10);
  assert.equal(patches().length, 2);
  assert.equal(patches()[1].headers.get("if-match"), '"e2"');
  assert.match(patches()[1].body, /^a=ice-ufrag:Rs1x\r\n/);
  await session.close();
});

Deno.test("whep: a refused restart is a WhepError with the server's status", async () => {
  const api = fakeApi((call) =>
    call.method === "POST"
      ? new Response(ANSWER, { status: 201, headers: { location: "/whep/c/sessions/s1" } })
      : new Response(JSON.stringify({ error: "restart_refused", message: "no" }), { status: 409 })
  );
  const session = new WhepSession({
    api,
    camera: "c",
    createPeerConnection: () => new FakePc() as unknown as RTCPeerConnection,
  });
  await session.connect();
  await assert.rejects(
    session.restartIce(),
    (e: unknown) => e instanceof WhepError && e.status === 409,
  );
  assert.equal(session.iceRestarts, 0);
  await session.close();
});

Deno.test("whep: parseIceServers keeps well-formed stun/turn entries only", () => {
  const good = {
    iceServers: [{ urls: ["stun:t.example:3478"] }, {
      urls: ["turn:t.example:3478?transport=udp"],
      username: "1767225900:abc",
      credential: "c2VjcmV0",
    }],
    expiresAt: null,
  };
  assert.deepEqual(parseIceServers(good), good.iceServers);
  assert.deepEqual(parseIceServers({ iceServers: [{ urls: "stun:x.example" }] }), [{
    urls: ["stun:x.example"],
  }]);
  for (
    const bad of [null, {}, { iceServers: "x" }, { iceServers: [{ urls: ["http://x"] }] }, {
      iceServers: [{ urls: [] }],
    }, { iceServers: [{ urls: ["turn:x"], username: 5 }] }]
  ) assert.equal(parseIceServers(bad), null, JSON.stringify(bad));
});

Deno.test("whep: fetchIceServers puts the server's ICE servers in place before the offer and each restart", async () => {
  let n = 0;
  const api = fakeApi((call) => {
    if (call.path === "/whep/cam1/ice-servers") {
      n++;
      return Response.json({
        iceServers: [{ urls: ["turn:t.example:3478"], username: `u${n}`, credential: "p" }],
        expiresAt: null,
      });
    }
    if (call.method === "POST") {
      return new Response("v=0\r\nanswer", {
        status: 201,
        headers: { location: "/whep/cam1/sessions/s1", etag: '"e1"' },
      });
    }
    if (call.method === "PATCH") {
      return new Response(
        "a=ice-ufrag:NEWU\r\na=ice-pwd:0123456789abcdef012345\r\n",
        { status: 200, headers: { etag: '"e2"' } },
      );
    }
    return new Response(null, { status: 200 });
  });
  const configs: RTCConfiguration[] = [];
  const pc = Object.assign(new FakePc(), {
    getConfiguration: () => ({ bundlePolicy: "max-bundle" }) as RTCConfiguration,
    setConfiguration: (c: RTCConfiguration) => void configs.push(c),
  });
  const session = new WhepSession({
    api,
    camera: "cam1",
    batchMs: 5,
    fetchIceServers: true,
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  await session.connect();
  assert.deepEqual(api.calls.slice(0, 2).map((c) => `${c.method} ${c.path}`), [
    "GET /whep/cam1/ice-servers",
    "POST /whep/cam1",
  ]);
  assert.equal(api.calls[0].headers.get("accept"), "application/json");
  assert.deepEqual(configs[0], {
    bundlePolicy: "max-bundle",
    iceServers: [{ urls: ["turn:t.example:3478"], username: "u1", credential: "p" }],
  });
  await session.restartIce().catch(() => {});
  assert.equal(configs.length, 2);
  assert.equal((configs[1].iceServers![0] as RTCIceServer).username, "u2");
  await session.close();
});

Deno.test("whep: without ICE servers from the server the session goes on", async () => {
  const warnings: string[] = [];
  const api = fakeApi((call) => {
    if (call.path.endsWith("/ice-servers")) return new Response("nope", { status: 404 });
    if (call.method === "POST") {
      return new Response("v=0\r\nanswer", {
        status: 201,
        headers: { location: "/whep/cam1/sessions/s1", etag: '"e1"' },
      });
    }
    return new Response(null, { status: 200 });
  });
  const pc = new FakePc();
  const session = new WhepSession({
    api,
    camera: "cam1",
    fetchIceServers: true,
    onWarning: (m) => warnings.push(m),
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  await session.connect();
  assert.equal(pc.remote, "v=0\r\nanswer");
  assert.match(warnings[0], /no ICE servers from the server \(404\)/);
  await session.close();
});
