import assert from "node:assert/strict";
import {
  ApiClient,
  ApiError,
  AuthLostError,
  needsRefresh,
  parseCamera,
  parsePasskeys,
  parseRetryAfter,
  parseSegments,
  parseSince,
  refreshDelayMs,
} from "./api.ts";

Deno.test("token: refresh 20 % early, between 5 s and 60 s before expiry", () => {
  assert.equal(refreshDelayMs(300), 240_000); // 5 min token: 60 s early
  assert.equal(refreshDelayMs(900), 840_000); // capped at 60 s early
  assert.equal(refreshDelayMs(60), 48_000); // 20 % = 12 s early
  assert.equal(refreshDelayMs(20), 15_000); // at least 5 s early
  assert.equal(refreshDelayMs(6), 3_000); // very short: half-life
  assert.equal(refreshDelayMs(0), 30_000);
  assert.equal(refreshDelayMs(Number.NaN), 30_000);
  assert.equal(refreshDelayMs(-5), 30_000);
});

Deno.test("token: always refreshed before it expires", () => {
  for (const s of [1, 2, 5, 10, 30, 59, 60, 61, 120, 299, 300, 3600]) {
    const d = refreshDelayMs(s);
    assert.ok(d > 0 && d < s * 1000, `${s}s → ${d}ms`);
  }
});

Deno.test("token: needsRefresh with skew", () => {
  assert.equal(needsRefresh(10_000, 4_000), false);
  assert.equal(needsRefresh(10_000, 5_000), true);
  assert.equal(needsRefresh(10_000, 12_000), true);
  assert.equal(needsRefresh(10_000, 9_500, 0), false);
});

Deno.test("api: Retry-After in seconds or as an HTTP date", () => {
  assert.equal(parseRetryAfter("5"), 5000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("soon"), null);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
  assert.equal(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
});

Deno.test("api: since accepts epoch s, epoch ms and ISO strings", () => {
  assert.equal(parseSince(1_700_000_000), 1_700_000_000_000);
  assert.equal(parseSince(1_700_000_000_123), 1_700_000_000_123);
  assert.equal(parseSince("2023-11-14T22:13:20.000Z"), 1_700_000_000_000);
  assert.equal(parseSince("1700000000"), 1_700_000_000_000);
  assert.equal(parseSince(null), null);
  assert.equal(parseSince("garbage"), null);
  assert.equal(parseSince(-1), null);
});

Deno.test("api: segment lists are validated and sorted", () => {
  const seg = (start: string, url = "/media/recordings/c/seg.mp4") => ({
    start,
    end: new Date(Date.parse(start) + 1000).toISOString(),
    bytes: 5,
    url,
  });
  const list = parseSegments({
    segments: [
      seg("2025-01-01T00:00:02Z"),
      seg("2025-01-01T00:00:01Z"),
      seg("2025-01-01T00:00:03Z", "https://evil.example/x.mp4"),
      { start: "x" },
      null,
    ],
  });
  assert.deepEqual(list.map((s) => s.start), [
    Date.parse("2025-01-01T00:00:01Z"),
    Date.parse("2025-01-01T00:00:02Z"),
  ]);
  assert.deepEqual(parseSegments(null), []);
});

Deno.test("api: camera entries are validated", () => {
  assert.deepEqual(
    parseCamera({ id: "cam-1", label: "Porch", online: true, since: 1_700_000_000 }),
    {
      id: "cam-1",
      label: "Porch",
      online: true,
      since: 1_700_000_000_000,
      recordings: false,
    },
  );
  assert.deepEqual(parseCamera({ id: "cam-2", online: "yes" }), {
    id: "cam-2",
    label: "cam-2",
    online: false,
    since: null,
    recordings: false,
  });
  assert.equal(parseCamera({ id: "cam-3", recordings: true })?.recordings, true);
  assert.equal(parseCamera({ id: "../etc" }), undefined);
  assert.equal(parseCamera({ id: "Cam" }), undefined);
  assert.equal(parseCamera(null), undefined);
});

// --- ApiClient with a fake fetch and a manual clock/timers ------------------------

interface Req {
  url: string;
  method: string;
  auth: string | null;
  credentials?: RequestCredentials;
  body: string | null;
}

function harness(handler: (req: Req, n: number) => Response | Promise<Response>) {
  const reqs: Req[] = [];
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const lost: string[] = [];
  const api = new ApiClient({
    baseUrl: "https://vigil.test",
    fetch: (async (input: string | URL | Request, init: RequestInit = {}) => {
      const req = {
        url: String(input),
        method: init.method ?? "GET",
        auth: new Headers(init.headers).get("authorization"),
        credentials: init.credentials,
        body: typeof init.body === "string" ? init.body : null,
      };
      reqs.push(req);
      return await handler(req, reqs.length);
    }) as typeof fetch,
    now: () => now,
    setTimer: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id as unknown as ReturnType<typeof setTimeout>;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === (id as unknown as number));
      if (i >= 0) timers.splice(i, 1);
    },
    onAuthLost: (r) => lost.push(r),
    withLock: (_name, fn) => fn(),
  });
  return {
    api,
    reqs,
    lost,
    timers,
    /** Advances the clock and runs due timers. */
    async advance(ms: number) {
      now += ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > now) break;
        timers.shift();
        t.fn();
        await new Promise((r) => setTimeout(r, 0));
      }
    },
  };
}

let tokenN = 0;
function tokenResponse(expiresIn = 300) {
  return Response.json({ accessToken: `tok${++tokenN}`, expiresIn, cameras: ["cam1"] });
}

Deno.test("ApiClient: login keeps the token in memory and sends it as Bearer", async () => {
  const h = harness((req) => {
    if (req.url.endsWith("/auth/login")) return tokenResponse();
    if (req.url.endsWith("/api/cameras")) {
      return Response.json({
        cameras: [{ id: "cam1", label: "One", online: true, since: null }, { id: "BAD" }],
      });
    }
    return new Response(null, { status: 404 });
  });
  await h.api.login("alice", "pw");
  assert.equal(h.reqs[0].credentials, "same-origin");
  const cams = await h.api.cameras();
  assert.deepEqual(cams.map((c) => c.id), ["cam1"]);
  assert.match(h.reqs[1].auth ?? "", /^Bearer tok\d+$/);
  // nothing persisted anywhere
  assert.equal(globalThis.localStorage?.length ?? 0, 0);
  assert.ok(!h.reqs.some((r) => r.url.includes("tok")));
  h.api.dispose();
});

Deno.test("ApiClient: wrong password and rate limit give readable errors", async () => {
  const h = harness((_req, n) =>
    n === 1
      ? Response.json({ error: "invalid_credentials", message: "nope" }, { status: 401 })
      : Response.json({ error: "rate_limited", message: "slow down" }, {
        status: 429,
        headers: { "retry-after": "30" },
      })
  );
  await assert.rejects(
    h.api.login("a", "b"),
    (e: unknown) => e instanceof ApiError && /Wrong username/.test(e.message),
  );
  await assert.rejects(
    h.api.login("a", "b"),
    (e: unknown) => e instanceof ApiError && /Try again in 30 s/.test(e.message),
  );
  assert.equal(h.api.authenticated, false);
});

Deno.test("ApiClient: refreshes on its own shortly before expiry", async () => {
  const h = harness((req) =>
    (req.url.endsWith("/auth/refresh") || req.url.endsWith("/auth/login"))
      ? tokenResponse(300)
      : new Response(null, { status: 204 })
  );
  await h.api.login("a", "b");
  await h.advance(239_000);
  assert.equal(h.reqs.filter((r) => r.url.endsWith("/auth/refresh")).length, 0);
  await h.advance(1_000);
  const refreshes = h.reqs.filter((r) => r.url.endsWith("/auth/refresh"));
  assert.equal(refreshes.length, 1);
  assert.equal(refreshes[0].credentials, "same-origin");
  assert.equal(refreshes[0].auth, null, "refresh uses the cookie, not the old token");
  h.api.dispose();
});

Deno.test("ApiClient: a 401 triggers exactly one refresh and one retry", async () => {
  let cameraCalls = 0;
  const h = harness((req) => {
    if (req.url.endsWith("/auth/login") || req.url.endsWith("/auth/refresh")) {
      return tokenResponse();
    }
    cameraCalls++;
    return cameraCalls === 1 ? new Response(null, { status: 401 }) : Response.json({ cameras: [] });
  });
  await h.api.login("a", "b");
  const firstToken = await (async () => {
    await h.api.cameras();
    return h.reqs[1].auth;
  })();
  assert.deepEqual(h.reqs.map((r) => r.url.replace("https://vigil.test", "")), [
    "/auth/login",
    "/api/cameras",
    "/auth/refresh",
    "/api/cameras",
  ]);
  assert.notEqual(h.reqs[3].auth, firstToken);
  h.api.dispose();
});

Deno.test("ApiClient: concurrent 401s share one refresh (rotating cookie)", async () => {
  let refreshes = 0;
  const h = harness(async (req) => {
    if (req.url.endsWith("/auth/login")) return tokenResponse();
    if (req.url.endsWith("/auth/refresh")) {
      refreshes++;
      await new Promise((r) => setTimeout(r, 5));
      return tokenResponse();
    }
    return req.auth === "Bearer tok" + tokenN
      ? Response.json({ cameras: [] })
      : new Response(null, { status: 401 });
  });
  await h.api.login("a", "b");
  tokenN += 100; // the server now wants a newer token
  await Promise.all([h.api.cameras(), h.api.cameras(), h.api.cameras()]);
  assert.equal(refreshes, 1);
  h.api.dispose();
});

Deno.test("ApiClient: refused refresh → onAuthLost, requests throw AuthLostError", async () => {
  const h = harness((req) => {
    if (req.url.endsWith("/auth/login")) return tokenResponse();
    if (req.url.endsWith("/auth/refresh")) {
      return Response.json({ error: "invalid_refresh" }, { status: 401 });
    }
    return new Response(null, { status: 401 });
  });
  await h.api.login("a", "b");
  await assert.rejects(h.api.cameras(), AuthLostError);
  assert.deepEqual(h.lost, ["expired"]);
  assert.equal(h.api.authenticated, false);
  assert.equal(h.api.authorization(), null);
  await assert.rejects(h.api.cameras(), AuthLostError);
  assert.deepEqual(h.lost, ["expired"], "fires once");
});

Deno.test("ApiClient: a network error during refresh is retried, not a logout", async () => {
  let fail = true;
  const h = harness((req) => {
    if (req.url.endsWith("/auth/login")) return tokenResponse(60);
    if (req.url.endsWith("/auth/refresh")) {
      if (fail) throw new TypeError("network down");
      return tokenResponse(60);
    }
    return new Response(null, { status: 204 });
  });
  await h.api.login("a", "b");
  await h.advance(48_000); // scheduled refresh → fails
  assert.equal(h.lost.length, 0);
  assert.equal(h.api.authenticated, true);
  assert.equal(h.timers.length, 1, "a retry is scheduled");
  fail = false;
  await h.advance(2_000);
  assert.equal(h.reqs.filter((r) => r.url.endsWith("/auth/refresh")).length, 2);
  assert.equal(h.lost.length, 0);
  h.api.dispose();
});

Deno.test("ApiClient: resume() uses the cookie silently; logout clears everything", async () => {
  const h = harness((req) => {
    if (req.url.endsWith("/auth/refresh")) return tokenResponse();
    if (req.url.endsWith("/auth/logout")) return new Response(null, { status: 204 });
    return new Response(null, { status: 404 });
  });
  assert.equal(await h.api.resume(), true);
  assert.equal(h.api.authenticated, true);
  await h.api.logout();
  const logout = h.reqs.at(-1)!;
  assert.ok(logout.url.endsWith("/auth/logout"));
  assert.equal(logout.method, "POST");
  assert.match(logout.auth ?? "", /^Bearer /);
  assert.equal(h.api.authenticated, false);
  assert.deepEqual(h.lost, ["logout"]);
  assert.equal(h.timers.length, 0);

  const none = harness(() => new Response(null, { status: 401 }));
  assert.equal(await none.api.resume(), false);
  assert.deepEqual(none.lost, [], "no session at boot is not an 'auth lost'");
});

// --- passkeys ------------------------------------------------------------------------

Deno.test("api: passkey lists are validated", () => {
  assert.deepEqual(
    parsePasskeys({
      passkeys: [
        {
          id: "abc_-1",
          createdAt: 1_700_000_000_000,
          lastUsedAt: null,
          transports: ["internal", 3],
        },
        { id: "not base64url!", createdAt: 1 },
        { createdAt: 1 },
        null,
      ],
    }),
    [{ id: "abc_-1", createdAt: 1_700_000_000_000, lastUsedAt: null, transports: ["internal"] }],
  );
  assert.deepEqual(parsePasskeys({}), []);
});

Deno.test("ApiClient: passkey login = options, the ceremony, verify; then a session", async () => {
  const h = harness((req) => {
    if (req.url.endsWith("/auth/passkeys/login/options")) {
      return Response.json({ flow: "f-1", options: { challenge: "c1" } });
    }
    if (req.url.endsWith("/auth/passkeys/login/verify")) {
      return Response.json({
        accessToken: "tokP",
        expiresIn: 300,
        username: "root",
        role: "admin",
        amr: ["hwk", "user"],
      });
    }
    return new Response(null, { status: 404 });
  });
  const seen: unknown[] = [];
  await h.api.loginWithPasskey("root", (options) => {
    seen.push(options);
    return Promise.resolve({ id: "cred" });
  });
  assert.deepEqual(seen, [{ challenge: "c1" }], "the ceremony answers the server's options");
  assert.deepEqual(JSON.parse(h.reqs[0].body ?? ""), { username: "root" });
  assert.equal(h.reqs[0].auth, null, "no Bearer before a session exists");
  assert.deepEqual(JSON.parse(h.reqs[1].body ?? ""), { flow: "f-1", credential: { id: "cred" } });
  assert.equal(h.api.authenticated, true);
  assert.equal(h.api.role, "admin");
  assert.equal(h.api.username, "root");
  assert.deepEqual(h.api.amr, ["hwk", "user"]);
  // Without a name the authenticator chooses (discoverable credentials).
  await h.api.loginWithPasskey(null, () => Promise.resolve({ id: "cred" }));
  assert.deepEqual(JSON.parse(h.reqs[2].body ?? ""), {});
  h.api.dispose();
});

Deno.test("ApiClient: a refused passkey, a throttle and a failed ceremony leave no session", async () => {
  let verify = 0;
  const h = harness((req) => {
    if (req.url.endsWith("/options")) return Response.json({ flow: "f", options: {} });
    verify++;
    return verify === 1
      ? Response.json({ error: "passkey_refused", message: "refused" }, { status: 401 })
      : Response.json({ error: "throttled", message: "slow" }, {
        status: 429,
        headers: { "retry-after": "7" },
      });
  });
  const ceremony = () => Promise.resolve({});
  await assert.rejects(h.api.loginWithPasskey(null, ceremony), /passkey was not accepted/);
  await assert.rejects(h.api.loginWithPasskey(null, ceremony), /Try again in 7 s/);
  const cancelled = Object.assign(new Error("user said no"), { name: "NotAllowedError" });
  await assert.rejects(h.api.loginWithPasskey(null, () => Promise.reject(cancelled)), /said no/);
  assert.equal(verify, 2, "a cancelled ceremony sends nothing to verify");
  assert.equal(h.api.authenticated, false);
});

Deno.test("ApiClient: add, list and remove passkeys with the Bearer token", async () => {
  const h = harness((req) => {
    if (req.url.endsWith("/auth/login")) return tokenResponse();
    if (req.url.endsWith("/register/options")) {
      return Response.json({ flow: "r-1", options: { rp: { id: "localhost" } } });
    }
    if (req.url.endsWith("/register/verify")) return Response.json({ id: "new" }, { status: 201 });
    if (req.url.endsWith("/auth/passkeys/list")) {
      return Response.json({ passkeys: [{ id: "new", createdAt: 5, transports: [] }] });
    }
    if (req.method === "DELETE" && req.url.endsWith("/auth/passkeys/credential/new")) {
      return new Response(null, { status: 204 });
    }
    return Response.json({ error: "not_found", message: "you have no passkey with this id" }, {
      status: 404,
    });
  });
  await h.api.login("alice", "pw");
  await h.api.addPasskey((o) => Promise.resolve({ created: o }));
  const verify = h.reqs.find((r) => r.url.endsWith("/register/verify"));
  assert.deepEqual(JSON.parse(verify?.body ?? ""), {
    flow: "r-1",
    credential: { created: { rp: { id: "localhost" } } },
  });
  assert.ok(h.reqs.slice(1).every((r) => /^Bearer /.test(r.auth ?? "")));
  assert.deepEqual((await h.api.passkeys()).map((p) => p.id), ["new"]);
  await h.api.removePasskey("new");
  await assert.rejects(h.api.removePasskey("other"), /no passkey with this id/);
  h.api.dispose();
});

Deno.test("ApiClient: resume() gives up on a server that does not answer", async () => {
  let aborted = false;
  const api = new ApiClient({
    baseUrl: "https://vigil.test",
    resumeTimeoutMs: 50,
    withLock: (_name, fn) => fn(),
    fetch: ((_input: string | URL | Request, init: RequestInit = {}) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => {
          aborted = true;
          reject(init.signal?.reason);
        });
      })) as typeof fetch,
  });
  const t0 = Date.now();
  assert.equal(await api.resume(), false, "the sign-in is shown");
  assert.ok(aborted, "the request was cancelled");
  assert.ok(Date.now() - t0 < 2_000);
  assert.equal(api.authenticated, false);
});
