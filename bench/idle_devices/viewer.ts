/**
 * The viewer side of the idle-devices benchmark: a logged-in viewer allowed
 * all cameras reads presence (`GET /api/cameras`) and times requests, to
 * check that N devices show online and that the server stays responsive.
 *
 * @example
 * ```ts
 * const v = await viewerSession(publicUrl, caPem, "bench-viewer", password);
 * await waitOnline(v, 1000, 60_000);
 * console.log(await viewerLatency(v, 1000, "/api/cameras"));
 * v.client.close();
 * ```
 * @module
 */
import { sleep } from "../lib/stats.ts";
import { type MsSummary, summarizeMs } from "./util.ts";

/** A logged-in viewer on the public listener. */
export interface Viewer {
  base: string;
  client: Deno.HttpClient;
  /** Returns a valid access token, logging in again shortly before it expires. */
  token(): Promise<string>;
}

/** Logs in with `POST /auth/login` (again when the ≤ 5-minute access token nears its end). */
export async function viewerSession(
  base: string,
  caPem: string,
  username: string,
  password: string,
): Promise<Viewer> {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  let token = "";
  let renewAt = 0;
  const login = async () => {
    const res = await fetch(`${base}/auth/login`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`viewer login: ${res.status}`);
    }
    const body = await res.json() as { accessToken: string; expiresIn: number };
    token = body.accessToken;
    renewAt = Date.now() + (body.expiresIn - 30) * 1000;
  };
  try {
    await login();
  } catch (err) {
    client.close();
    throw err;
  }
  return {
    base,
    client,
    async token() {
      if (Date.now() >= renewAt) await login();
      return token;
    },
  };
}

/** `GET /api/cameras`: how many of the listed cameras are online (checks the count listed). */
export async function camerasOnline(v: Viewer, expectListed?: number): Promise<number> {
  const res = await fetch(`${v.base}/api/cameras`, {
    client: v.client,
    headers: { authorization: `Bearer ${await v.token()}` },
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`GET /api/cameras: ${res.status}`);
  }
  const { cameras } = await res.json() as { cameras: { online: boolean }[] };
  if (expectListed !== undefined && cameras.length !== expectListed) {
    throw new Error(`GET /api/cameras listed ${cameras.length} cameras, expected ${expectListed}`);
  }
  return cameras.filter((c) => c.online).length;
}

/** Polls presence until exactly `want` cameras are online. */
export async function waitOnline(v: Viewer, want: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  let online = -1;
  while (performance.now() < end) {
    online = await camerasOnline(v);
    if (online === want) return;
    await sleep(100);
  }
  throw new Error(`presence: ${online} online, expected ${want}, after ${timeoutMs} ms`);
}

/**
 * 30 sequential requests: `/api/cameras` (authenticated, lists all `listed`
 * cameras) or a small one (`/pki/ca`, about 700 bytes), which shows
 * responsiveness apart from the response's size.
 */
export async function viewerLatency(
  v: Viewer,
  listed: number,
  path: "/api/cameras" | "/pki/ca",
): Promise<MsSummary> {
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    if (path === "/api/cameras") {
      await camerasOnline(v, listed);
    } else {
      const res = await fetch(`${v.base}${path}`, { client: v.client });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    }
    times.push(performance.now() - t);
  }
  return summarizeMs(times);
}
