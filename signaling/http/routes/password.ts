/**
 * A viewer changes their own password (`POST /auth/password`, Bearer): the
 * current password is checked like a login (same throttles, same audit
 * vocabulary), the new one against the policy. A change signs out every
 * session of the account (a password is changed when it may be known to
 * someone else) and starts a new one for the caller, so this browser stays
 * signed in.
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { ServerContext } from "../../context.ts";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "../../auth/password.ts";
import { topics } from "../../bus/topics.ts";
import { issueSession, requireViewer } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { problem, readJson } from "./errors.ts";

const ChangeBody = z.object({
  current: z.string().min(1).max(1024),
  password: z.string().min(1).max(1024),
}).strict();

/** `POST /auth/password`. */
export function passwordRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/auth/password", requireViewer(ctx));

  app.post("/auth/password", async (c) => {
    const ip = c.env.remoteAddr;
    const name = c.get("viewer").sub;
    const wait = Math.max(
      ctx.throttles.loginUser.retryAfterMs(name.toLowerCase()),
      ctx.throttles.loginAddress.retryAfterMs(ip),
    );
    if (wait > 0) {
      ctx.audit.log("login.throttled", { user: name, ip, method: "password change" });
      return problem(c, 429, "throttled", "too many failed attempts; try again later", {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    const body = await readJson(c, ChangeBody);
    if (!body.ok) return body.response;
    const user = await ctx.store.users.find(name);
    if (!user) return problem(c, 401, "no_session", "the account no longer exists");
    if (!(await verifyPassword(body.data.current, user.passwordHash))) {
      ctx.throttles.loginUser.fail(name.toLowerCase());
      ctx.throttles.loginAddress.fail(ip);
      ctx.audit.log("password.change_refused", {
        user: name,
        ip,
        reason: "wrong current password",
      });
      return problem(c, 403, "wrong_password", "the current password is wrong");
    }
    const policy = checkPasswordPolicy(body.data.password);
    if (policy) return problem(c, 400, "weak_password", policy);
    if (body.data.password === body.data.current) {
      return problem(c, 400, "same_password", "the new password is the current one");
    }
    ctx.throttles.loginUser.succeed(name.toLowerCase());
    await ctx.store.users.setPassword(name, await hashPassword(body.data.password), Date.now());
    // Every login of the account ends (also on other nodes: the revocations are events).
    await ctx.store.refreshTokens.revokeUserFamilies(name, Date.now());
    await ctx.viewing.endRevokedFamilies();
    ctx.bus.publish(topics.clusterEvents, { seq: await ctx.store.events.last(), node: ctx.nodeId });
    ctx.audit.log("password.changed", { user: name, ip });
    return issueSession(ctx, c, user, crypto.randomUUID(), ["pwd"]);
  });

  return app;
}
