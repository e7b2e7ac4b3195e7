/**
 * A client of a running server's admin API (`/api/admin/…`, PROTOCOL.md
 * "Admin API") for the operator commands' `--remote`: signs in (or takes an
 * access token), sends each request with `Authorization: Bearer` (RFC 6750
 * section 2.1) and turns the server's error answers into one clear line.
 *
 * @example
 * ```ts
 * const api = await openAdminApi(
 *   { url: "https://cameras.example.lan:8443", login: "root", password: "…", caPem: null },
 * );
 * try {
 *   const { devices } = await api.call<{ devices: unknown[] }>("GET", "/api/admin/devices");
 * } finally {
 *   await api.close(); // ends the login
 * }
 * ```
 * @module
 */
import { readCapped } from "../../lib/read_capped.ts";

/** An error answer of the server: its status, `error` code and `message`. */
export class AdminApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** How to reach and authenticate to the server. */
export interface AdminApiTarget {
  /** The server's origin, `https://host:port`. */
  url: string;
  /** A CA certificate (PEM) to trust besides the system's, or null. */
  caPem: string | null;
  /** Sign in with this account and password… */
  login?: string;
  password?: string;
  /** …or use this access token. */
  token?: string;
}

/** A signed-in admin API session. */
export interface AdminApi {
  /** Sends one request; resolves to the JSON answer (null for 204), throws {@linkcode AdminApiError}. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Ends the login this client made (not a token it was given) and frees the connection. */
  close(): Promise<void>;
}

/** The largest answer read (the audit log's 1,000 entries fit many times over). */
const MAX_ANSWER = 8 << 20;

/** Opens a session: with a login, `POST /auth/login` first. */
export async function openAdminApi(t: AdminApiTarget): Promise<AdminApi> {
  const client = t.caPem ? Deno.createHttpClient({ caCerts: [t.caPem] }) : undefined;
  const send = async (method: string, path: string, token: string | null, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(new URL(path, t.url), {
        method,
        client,
        redirect: "error",
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new Error(`cannot reach ${t.url}: ${reason(err)}`);
    }
    return await answerOf(res);
  };
  let token = t.token ?? null;
  const ownLogin = token === null;
  try {
    if (token === null) {
      const r = await send("POST", "/auth/login", null, {
        username: t.login,
        password: t.password,
      }) as { accessToken?: unknown };
      if (typeof r?.accessToken !== "string") throw new Error("the server sent no access token");
      token = r.accessToken;
    }
  } catch (err) {
    client?.close();
    throw err;
  }
  return {
    call: <T>(method: string, path: string, body?: unknown) =>
      send(method, path, token, body) as Promise<T>,
    async close() {
      try {
        // Bearer logout ends the login family (auth.ts); a given token is the caller's to keep.
        if (ownLogin) await send("POST", "/auth/logout", token).catch(() => {});
      } finally {
        client?.close();
      }
    },
  };
}

/** The JSON of a success, or an {@linkcode AdminApiError} naming what the server said. */
async function answerOf(res: Response): Promise<unknown> {
  const bytes = await readCapped(res.body, MAX_ANSWER);
  if (bytes === "too_large") throw new Error(`the server's answer is over ${MAX_ANSWER >> 20} MiB`);
  const text = new TextDecoder().decode(bytes);
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: said below when it matters
  }
  if (res.ok) {
    if (text && json === null) throw new Error(`the server answered ${res.status} without JSON`);
    return json;
  }
  const e = (json ?? {}) as { error?: unknown; message?: unknown };
  const code = typeof e.error === "string" ? e.error : `http_${res.status}`;
  const message = typeof e.message === "string"
    ? e.message
    : res.status === 401
    ? "not signed in (a wrong password or an expired token)"
    : `the server answered ${res.status} ${res.statusText}`;
  throw new AdminApiError(res.status, code, `${message} (${res.status} ${code})`);
}

/** The cause of a failed fetch, in one line (a TLS error names the certificate problem). */
function reason(err: unknown): string {
  // fetch's own message is "fetch failed"; what went wrong is in its cause.
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  const m = [e?.message, e?.cause?.message].filter((x) => typeof x === "string").join(": ") ||
    String(err);
  if (/certificate|UnknownIssuer|invalid peer/i.test(m)) {
    return `its TLS certificate is not trusted (${m.split("\n")[0].slice(0, 160)}); ` +
      "give the server's CA with --ca-file (data-dir/pki/ca.pem)";
  }
  return m.split("\n")[0].slice(0, 200);
}
