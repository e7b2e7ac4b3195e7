/**
 * Uniform JSON errors: `{ error: code, message }`, never a stack trace.
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Sends a JSON error with a stable code and a readable message. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ error: code, message }, status, headers);
}

/** Reads and validates a JSON body with a zod-like schema. */
export async function readJson<T>(
  c: Context,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | {
      success: false;
      error: { issues: { path: PropertyKey[]; message: string }[] };
    };
  },
): Promise<{ ok: true; data: T } | { ok: false; response: Response }> {
  if (!(c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    return {
      ok: false,
      response: problem(c, 415, "unsupported_media_type", "send application/json"),
    };
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { ok: false, response: problem(c, 400, "bad_json", "the body is not valid JSON") };
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.map(String).join(".") : "body";
    return {
      ok: false,
      response: problem(c, 400, "invalid_request", `${where}: ${issue.message}`),
    };
  }
  return { ok: true, data: r.data };
}
