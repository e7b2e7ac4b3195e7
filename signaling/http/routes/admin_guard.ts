/**
 * The admin role check in front of every `/api/admin/…` route: a valid access
 * token (requireViewer) whose `role` claim is `admin`, and an account that is
 * still an admin in the store (a demotion counts at once, not when the ≤ 5 min
 * token expires). A refusal is 403 and an `admin.refused` audit event.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { ServerContext } from "../../context.ts";
import { requireViewer } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./errors.ts";

const PASSKEY_REASON = "log in with a passkey that verifies you";

/** Why an authenticated viewer may not use an admin route, or null when it may. Pure. */
export function adminRefusal(
  claims: { role?: string; amr?: string[] },
  stored: { role: string } | null,
  requirePasskey = false,
): string | null {
  if (claims.role !== "admin") return "not an admin";
  if (!stored) return "account removed";
  if (stored.role !== "admin") return "admin role withdrawn";
  // --admin-require-passkey: the login proved a hardware key (RFC 8176 "hwk") and the
  // authenticator verified the user (PIN or biometrics: "mfa"), so a found key is not enough.
  const amr = claims.amr ?? ["pwd"];
  if (requirePasskey && !(amr.includes("hwk") && amr.includes("mfa"))) return PASSKEY_REASON;
  return null;
}

/** Bearer token with the admin role, checked against the store on each request. */
export function requireAdmin(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  const viewer = requireViewer(ctx);
  return async (c, next) => {
    let passed = false;
    const res = await viewer(c, () => {
      passed = true;
      return Promise.resolve();
    });
    if (!passed) return res ?? c.res;
    const claims = c.get("viewer");
    const reason = adminRefusal(
      claims,
      await ctx.store.users.find(claims.sub),
      ctx.config.adminRequirePasskey,
    );
    if (reason) {
      ctx.audit.log("admin.refused", {
        user: claims.sub,
        route: c.req.path,
        method: c.req.method,
        reason,
        ip: c.env.remoteAddr,
      });
      // A distinct code tells the console to offer a passkey sign-in instead of "not an admin".
      return reason === PASSKEY_REASON
        ? problem(
          c,
          403,
          "passkey_required",
          "the console needs a login with a passkey and its PIN, fingerprint or face",
        )
        : problem(c, 403, "forbidden", `this needs the admin role (${reason})`);
    }
    await next();
  };
}
