/**
 * HTTP API client for the viewer: login, refresh, logout, camera list, and an
 * authenticated fetch used by the presence stream and the WHEP client.
 *
 * Token handling:
 * - the access token lives only in this object's private field (never in
 *   localStorage/sessionStorage, never in a URL);
 * - the refresh token is the httpOnly `__Host-vigil-refresh` cookie, sent by
 *   the browser on `POST /auth/refresh` (same-origin credentials);
 * - the token is refreshed shortly before it expires, and once on a 401;
 * - concurrent refreshes are coalesced (and serialized across tabs with the
 *   Web Locks API where available) because the refresh cookie rotates and a
 *   reused one revokes the whole family;
 * - when the server definitively refuses the refresh, `onAuthLost` fires and
 *   the app returns to the login page. Network errors are not definitive (the
 *   server may just be restarting): they are retried.
 */

import { Backoff } from "./backoff.ts";

export interface Camera {
  id: string;
  label: string;
  online: boolean;
  /** ms since epoch of the last online/offline change, or null if unknown */
  since: number | null;
  /** Whether this viewer may watch the camera's recordings. */
  recordings?: boolean;
}

/** One recorded segment (times in ms since the epoch). */
export interface Segment {
  start: number;
  end: number;
  bytes: number;
  /** Signed same-origin URL a <video> element can load (expires in minutes). */
  url: string;
}

/** Validates the server's segment list; drops malformed entries. */
export function parseSegments(v: unknown): Segment[] {
  const list = v && typeof v === "object" ? (v as { segments?: unknown }).segments : null;
  if (!Array.isArray(list)) return [];
  const out: Segment[] = [];
  for (const s of list) {
    if (!s || typeof s !== "object") continue;
    const o = s as Record<string, unknown>;
    const start = typeof o.start === "string" ? Date.parse(o.start) : NaN;
    const end = typeof o.end === "string" ? Date.parse(o.end) : NaN;
    if (!(end > start) || typeof o.url !== "string" || !o.url.startsWith("/media/")) continue;
    out.push({ start, end, bytes: Number(o.bytes) || 0, url: o.url });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** One of the account's passkeys as the server lists it (times in ms since the epoch). */
export interface PasskeyInfo {
  id: string;
  createdAt: number | null;
  lastUsedAt: number | null;
  transports: string[];
}

/** Validates the server's passkey list; drops malformed entries. */
export function parsePasskeys(v: unknown): PasskeyInfo[] {
  const list = v && typeof v === "object" ? (v as { passkeys?: unknown }).passkeys : null;
  if (!Array.isArray(list)) return [];
  const out: PasskeyInfo[] = [];
  for (const p of list) {
    if (!p || typeof p !== "object") continue;
    const o = p as Record<string, unknown>;
    if (typeof o.id !== "string" || !/^[A-Za-z0-9_-]{1,1400}$/.test(o.id)) continue;
    out.push({
      id: o.id,
      createdAt: parseSince(o.createdAt),
      lastUsedAt: parseSince(o.lastUsedAt),
      transports: Array.isArray(o.transports)
        ? o.transports.filter((t): t is string => typeof t === "string")
        : [],
    });
  }
  return out;
}

/**
 * Answers a WebAuthn ceremony: gets the server's options JSON, returns the
 * credential JSON (passkeys.ts wraps @simplewebauthn/browser).
 */
export type Ceremony = (options: unknown) => Promise<unknown>;

export interface ApiErrorBody {
  error?: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Thrown when there is no valid session anymore (the UI shows the login). */
export class AuthLostError extends Error {
  constructor(message = "Your session has ended. Please sign in again.") {
    super(message);
    this.name = "AuthLostError";
  }
}

type TimerId = ReturnType<typeof setTimeout>;

export type AuthLostReason = "expired" | "logout";

export interface ApiClientOptions {
  /** Origin prefix for requests; "" (same origin) in the browser. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Monotonic clock in ms. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => TimerId;
  clearTimer?: (id: TimerId) => void;
  /** Called once when the session is gone (refresh refused). */
  onAuthLost?: (reason: AuthLostReason) => void;
  /** Serializes refreshes across tabs; defaults to navigator.locks if present. */
  withLock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** How long {@linkcode ApiClient.resume} waits for the server before showing the sign-in (10 s). */
  resumeTimeoutMs?: number;
}

// ---------------------------------------------------------------------------
// Pure helpers (unit-tested)

/**
 * Milliseconds from now until the access token should be refreshed, given
 * its lifetime in seconds (`expiresIn`). Refreshes 20 % of the lifetime
 * early, but at least 5 s and at most 60 s before expiry; very short
 * lifetimes are refreshed at half-life. Invalid input → 30 s.
 */
export function refreshDelayMs(expiresInSec: number): number {
  if (!Number.isFinite(expiresInSec) || expiresInSec <= 0) return 30_000;
  const lifetime = expiresInSec * 1000;
  const margin = Math.min(60_000, Math.max(5_000, lifetime * 0.2));
  return Math.round(Math.max(lifetime - margin, lifetime / 2));
}

/** True when a token expiring at `expiresAt` should be refreshed before use. */
export function needsRefresh(expiresAt: number, now: number, skewMs = 5_000): boolean {
  return now >= expiresAt - skewMs;
}

/** Parses `Retry-After` (seconds or HTTP date) into ms, or null. */
export function parseRetryAfter(value: string | null, nowEpochMs = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowEpochMs);
}

/** Normalizes the `since` field (epoch s/ms or ISO string) to epoch ms. */
export function parseSince(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) {
    // Heuristic: values below 1e11 are seconds (1e11 s is the year 5138).
    return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  }
  if (typeof v === "string" && v !== "") {
    if (/^\d+(\.\d+)?$/.test(v)) return parseSince(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

const CAMERA_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isCameraId(id: unknown): id is string {
  return typeof id === "string" && CAMERA_ID.test(id);
}

/** Validates one camera entry from the server; undefined if malformed. */
export function parseCamera(v: unknown): Camera | undefined {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (!isCameraId(o.id)) return undefined;
  return {
    id: o.id,
    label: typeof o.label === "string" && o.label.trim() !== "" ? o.label : o.id,
    online: o.online === true,
    since: parseSince(o.since),
    recordings: o.recordings === true,
  };
}

interface TokenResponse {
  accessToken: string;
  expiresIn: number;
}

function parseTokenResponse(v: unknown): TokenResponse {
  const o = (v && typeof v === "object" ? v : {}) as Record<string, unknown>;
  if (typeof o.accessToken !== "string" || o.accessToken === "") {
    throw new ApiError(502, "bad_response", "The server sent an unexpected response.");
  }
  const expiresIn = typeof o.expiresIn === "number" && o.expiresIn > 0 ? o.expiresIn : 60;
  return { accessToken: o.accessToken, expiresIn };
}

/** Builds an ApiError from a non-2xx response (reads the JSON error body). */
export async function errorFromResponse(res: Response, fallback?: string): Promise<ApiError> {
  let body: ApiErrorBody = {};
  try {
    const text = await res.text();
    if (text) body = JSON.parse(text) as ApiErrorBody;
  } catch {
    // not JSON: keep the fallback
  }
  const code = typeof body.error === "string" ? body.error : `http_${res.status}`;
  const message = fallback ??
    (typeof body.message === "string" && body.message ? body.message : res.statusText) ??
    `HTTP ${res.status}`;
  return new ApiError(
    res.status,
    code,
    message || `HTTP ${res.status}`,
    parseRetryAfter(res.headers.get("retry-after")),
  );
}

/**
 * The error a refused sign-in shows: `refused` for 400/401/403 (the server
 * does not say which part was wrong), the wait for 429, else the server's
 * message.
 */
export async function signInError(res: Response, refused: string): Promise<ApiError> {
  const err = await errorFromResponse(res);
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    return new ApiError(res.status, err.code, refused);
  }
  if (res.status === 429) {
    const s = err.retryAfterMs ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : " later";
    return new ApiError(429, err.code, `Too many attempts. Try again${s}.`, err.retryAfterMs);
  }
  return new ApiError(res.status, err.code, `Sign-in failed (${err.message}).`);
}

function defaultWithLock(): ApiClientOptions["withLock"] {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks || typeof locks.request !== "function") return undefined;
  return (name, fn) => locks.request(name, fn);
}

// ---------------------------------------------------------------------------

export class ApiClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => TimerId;
  readonly #clearTimer: (id: TimerId) => void;
  readonly #withLock: ApiClientOptions["withLock"];
  readonly #resumeTimeoutMs: number;
  #onAuthLost: ((reason: AuthLostReason) => void) | undefined;

  #token: string | null = null;
  #role: "viewer" | "admin" = "viewer";
  #amr: readonly string[] = [];
  #username = "";
  #expiresAt = 0;
  #refreshTimer: TimerId | undefined;
  #refreshing: Promise<boolean> | null = null;
  #retry = new Backoff({ baseMs: 1000, maxMs: 15_000, factor: 2, jitter: 1 });

  constructor(options: ApiClientOptions = {}) {
    this.#base = options.baseUrl ?? "";
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((id) => clearTimeout(id));
    this.#withLock = options.withLock ?? defaultWithLock();
    this.#resumeTimeoutMs = options.resumeTimeoutMs ?? 10_000;
    this.#onAuthLost = options.onAuthLost;
  }

  set onAuthLost(fn: ((reason: AuthLostReason) => void) | undefined) {
    this.#onAuthLost = fn;
  }

  /** The account's role as the last login or refresh said. */
  get role(): "viewer" | "admin" {
    return this.#role;
  }

  /** The signed-in account's name ("" before a login). */
  get username(): string {
    return this.#username;
  }

  /** How this session's login was made (RFC 8176): `["pwd"]`, or `["hwk","user"]` for a passkey. */
  get amr(): readonly string[] {
    return this.#amr;
  }

  get authenticated(): boolean {
    return this.#token !== null;
  }

  /** Absolute or same-origin URL for an API path. */
  url(path: string): string {
    return this.#base + path;
  }

  /**
   * The Authorization header value for a request that cannot go through
   * {@link fetch} (the keepalive DELETE on pagehide). Never log it.
   */
  authorization(): string | null {
    return this.#token ? `Bearer ${this.#token}` : null;
  }

  async login(username: string, password: string): Promise<void> {
    const res = await this.#postPublic("/auth/login", { username, password });
    if (!res.ok) throw await signInError(res, "Wrong username or password.");
    this.#accept(await res.json());
  }

  /**
   * Signs in with a passkey: the server's options (only `username`'s
   * passkeys when given), `ceremony` asks the authenticator, the server
   * verifies and starts the same session as {@link login}.
   */
  async loginWithPasskey(username: string | null, ceremony: Ceremony): Promise<void> {
    const res = await this.#postPublic(
      "/auth/passkeys/login/options",
      username ? { username } : {},
    );
    if (!res.ok) throw await signInError(res, "Passkey sign-in is not available.");
    const { flow, options } = await res.json() as { flow: string; options: unknown };
    const credential = await ceremony(options);
    const verify = await this.#postPublic("/auth/passkeys/login/verify", { flow, credential });
    if (!verify.ok) {
      throw await signInError(
        verify,
        "This passkey was not accepted. Try again or use a password.",
      );
    }
    this.#accept(await verify.json());
  }

  /** Registers a new passkey for the signed-in account (`ceremony` creates it). */
  async addPasskey(ceremony: Ceremony): Promise<void> {
    const res = await this.fetch("/auth/passkeys/register/options", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: "{}",
    });
    if (!res.ok) throw await errorFromResponse(res);
    const { flow, options } = await res.json() as { flow: string; options: unknown };
    const credential = await ceremony(options);
    const verify = await this.fetch("/auth/passkeys/register/verify", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ flow, credential }),
    });
    if (!verify.ok) throw await errorFromResponse(verify);
    await verify.body?.cancel();
  }

  /**
   * Changes this account's password. The server signs out every session of
   * the account and starts a new one for this page (its token replaces the
   * current one).
   */
  async changePassword(current: string, password: string): Promise<void> {
    const res = await this.fetch("/auth/password", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ current, password }),
    });
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 403) throw new ApiError(403, err.code, "The current password is wrong.");
      if (res.status === 429) {
        const s = err.retryAfterMs ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : " later";
        throw new ApiError(429, err.code, `Too many attempts. Try again${s}.`, err.retryAfterMs);
      }
      throw err;
    }
    this.#accept(await res.json());
  }

  /** The signed-in account's passkeys. */
  async passkeys(): Promise<PasskeyInfo[]> {
    const res = await this.fetch("/auth/passkeys/list", {
      headers: { accept: "application/json" },
    });
    if (!res.ok) throw await errorFromResponse(res);
    return parsePasskeys(await res.json());
  }

  /** Removes one of the signed-in account's passkeys. */
  async removePasskey(id: string): Promise<void> {
    const res = await this.fetch(`/auth/passkeys/credential/${encodeURIComponent(id)}`, {
      method: "DELETE",
    });
    if (!res.ok) throw await errorFromResponse(res);
    await res.body?.cancel();
  }

  /**
   * Gets a new access token with the refresh cookie. Coalesces concurrent
   * calls. Resolves true on success, false when the session is gone (then
   * onAuthLost has fired). Rejects only on network/5xx errors (retryable).
   */
  refresh(): Promise<boolean> {
    if (!this.#refreshing) {
      const run = () => this.#doRefresh();
      const p = this.#withLock ? this.#withLock("vigil-refresh", run) : run();
      this.#refreshing = p.finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  /**
   * On page load: try to resume an existing session via the refresh cookie,
   * without firing onAuthLost when there is none.
   */
  async resume(): Promise<boolean> {
    const run = async () => {
      const res = await this.#fetch(this.url("/auth/refresh"), {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { accept: "application/json" },
        // A server that does not answer must not leave the page on "Loading…".
        signal: AbortSignal.timeout(this.#resumeTimeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return false;
      }
      this.#accept(await res.json());
      return true;
    };
    try {
      // Locked too: two tabs restored at once must not both spend the cookie.
      return await (this.#withLock ? this.#withLock("vigil-refresh", run) : run());
    } catch {
      return false;
    }
  }

  async logout(): Promise<void> {
    const auth = this.authorization();
    this.#clear();
    try {
      const res = await this.#fetch(this.url("/auth/logout"), {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: auth ? { authorization: auth } : {},
      });
      await res.body?.cancel();
    } catch {
      // The local session is gone either way.
    }
    this.#onAuthLost?.("logout");
  }

  async cameras(): Promise<Camera[]> {
    const res = await this.fetch("/api/cameras", { headers: { accept: "application/json" } });
    if (!res.ok) throw await errorFromResponse(res);
    const body = await res.json() as { cameras?: unknown };
    const list = Array.isArray(body?.cameras) ? body.cameras : [];
    return list.map(parseCamera).filter((c): c is Camera => c !== undefined);
  }

  /** The recorded segments of a camera overlapping [from, to) (ms since the epoch). */
  async recordings(camera: string, from: number, to: number): Promise<Segment[]> {
    const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const res = await this.fetch(`/api/cameras/${encodeURIComponent(camera)}/recordings?${q}`, {
      headers: { accept: "application/json" },
    });
    if (!res.ok) throw await errorFromResponse(res);
    return parseSegments(await res.json());
  }

  /** One MP4 of [from, to), as a Blob (the server joins the fragments). */
  async clip(camera: string, from: number, to: number): Promise<Blob> {
    const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const res = await this.fetch(`/api/cameras/${encodeURIComponent(camera)}/clip?${q}`);
    if (!res.ok) throw await errorFromResponse(res);
    return await res.blob();
  }

  /** The camera's latest snapshot (JPEG), or null when there is none yet. */
  async snapshot(camera: string): Promise<Blob | null> {
    const res = await this.fetch(`/api/cameras/${encodeURIComponent(camera)}/snapshot`);
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return await res.blob();
  }

  /**
   * fetch() with the Bearer token. Refreshes first when the token is about to
   * expire, and on a 401 refreshes once and retries. Throws AuthLostError
   * when there is no session.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (!this.#token) throw new AuthLostError();
    if (needsRefresh(this.#expiresAt, this.#now())) {
      // A network error here is not fatal: the current token may still work.
      const ok = await this.refresh().catch(() => true);
      if (!ok || !this.#token) throw new AuthLostError();
    }
    let res = await this.#fetch(this.url(path), this.#withAuth(init));
    if (res.status !== 401) return res;
    await res.body?.cancel();
    await this.#refreshOrThrow();
    res = await this.#fetch(this.url(path), this.#withAuth(init));
    if (res.status === 401) {
      await res.body?.cancel();
      this.#lost();
      throw new AuthLostError();
    }
    return res;
  }

  /** Stops timers (page teardown, tests). */
  dispose(): void {
    if (this.#refreshTimer !== undefined) this.#clearTimer(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  // -------------------------------------------------------------------------

  async #refreshOrThrow(): Promise<void> {
    const ok = await this.refresh().catch(() => {
      throw new ApiError(0, "network", "Cannot reach the server.");
    });
    if (!ok) throw new AuthLostError();
  }

  /** A JSON POST without the Bearer token (the sign-in calls). */
  async #postPublic(path: string, body: unknown): Promise<Response> {
    try {
      return await this.#fetch(this.url(path), {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection.");
    }
  }

  #withAuth(init: RequestInit): RequestInit {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.#token}`);
    return { cache: "no-store", credentials: "same-origin", ...init, headers };
  }

  async #doRefresh(): Promise<boolean> {
    let res: Response;
    try {
      res = await this.#fetch(this.url("/auth/refresh"), {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { accept: "application/json" },
      });
    } catch (e) {
      this.#scheduleRetry();
      throw e;
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      this.#lost();
      return false;
    }
    if (!res.ok) {
      await res.body?.cancel();
      this.#scheduleRetry();
      throw new ApiError(res.status, `http_${res.status}`, "Token refresh failed.");
    }
    this.#accept(await res.json());
    return true;
  }

  #accept(body: unknown): void {
    const t = parseTokenResponse(body);
    // Only decides what the app shows; the server checks the role on every admin request.
    this.#role = (body as { role?: unknown }).role === "admin" ? "admin" : "viewer";
    const name = (body as { username?: unknown }).username;
    this.#username = typeof name === "string" ? name : "";
    const amr = (body as { amr?: unknown }).amr;
    this.#amr = Array.isArray(amr) ? amr.filter((m): m is string => typeof m === "string") : [];
    this.#token = t.accessToken;
    this.#expiresAt = this.#now() + t.expiresIn * 1000;
    this.#retry.reset();
    this.#schedule(refreshDelayMs(t.expiresIn));
  }

  #schedule(ms: number): void {
    if (this.#refreshTimer !== undefined) this.#clearTimer(this.#refreshTimer);
    this.#refreshTimer = this.#setTimer(() => {
      this.#refreshTimer = undefined;
      // Failures are handled inside (retry timer or onAuthLost).
      this.refresh().catch(() => {});
    }, ms);
  }

  /** A refresh failed for a transient reason: try again with back-off. */
  #scheduleRetry(): void {
    if (this.#token === null) return;
    this.#schedule(this.#retry.next());
  }

  #clear(): void {
    this.#token = null;
    this.#role = "viewer";
    this.#amr = [];
    this.#username = "";
    this.#expiresAt = 0;
    this.dispose();
  }

  #lost(): void {
    const had = this.#token !== null;
    this.#clear();
    if (had) this.#onAuthLost?.("expired");
  }
}
