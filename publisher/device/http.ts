/**
 * Small HTTP helpers of the device clients: JSON POST through a pinned or
 * mTLS `Deno.HttpClient`, with the server's `{error, message}` turned into
 * one line.
 *
 * @module
 */

/** An HTTP error with the server's status and error code. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** POSTs JSON and returns the parsed JSON reply; throws {@linkcode HttpError} on a non-2xx. */
export async function postJson(
  url: string,
  body: unknown,
  client: Deno.HttpClient,
  timeoutMs = 15_000,
): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      client,
      headers: { "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(`cannot reach ${new URL(url).origin}: ${oneLine(err)}`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const j = (json ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof j.error === "string" ? j.error : "http_error";
    const msg = typeof j.message === "string" ? j.message : res.statusText;
    throw new HttpError(res.status, code, `${new URL(url).pathname}: ${res.status} ${msg}`);
  }
  return { status: res.status, json };
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split("\n")[0];
}
