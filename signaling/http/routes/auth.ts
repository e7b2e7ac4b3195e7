/**
 * Viewer sessions: login, refresh (rotating, reuse-detecting) and logout, and
 * the Bearer middleware that guards every viewer route.
 * @module
 */
import { Hono } from "hono";
import { topics } from "../../bus/topics.ts";
import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { ServerContext } from "../../context.ts";
import { dummyHash, verifyPassword } from "../../auth/password.ts";
import {
  type AccessRole,
  type AuthMethod,
  isAuthMethod,
  signAccessToken,
  TokenError,
  verifyAccessToken,
} from "../../auth/tokens.ts";
import { randomToken, sha256Hex } from "../../auth/secrets.ts";
import { currentScope } from "../../auth/live_grants.ts";
import type { AppEnv } from "./env.ts";
import { problem, readJson } from "./errors.ts";

/** The refresh cookie: `__Host-` pins it to this origin, path `/`, Secure. */
export const REFRESH_COOKIE = "__Host-vigil-refresh";

const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
}).strict();

/** Checks `Authorization: Bearer` (only there: never a query string or cookie). */
export function requireViewer(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m) {
      const inQuery = /[?&](access_token|token)=/.test(c.req.url);
      ctx.audit.log("token.refused", {
        route: c.req.path,
        reason: inQuery ? "token in query string" : "missing bearer token",
        ip: c.env.remoteAddr,
      });
      return problem(
        c,
        401,
        "unauthorized",
        inQuery
          ? "tokens are not accepted in URLs; send Authorization: Bearer"
          : "missing Authorization: Bearer token",
        { "www-authenticate": 'Bearer realm="vigil"' },
      );
    }
    try {
      const claims = await verifyAccessToken(ctx.ring, m[1], ctx.issuer);
      if (await ctx.store.refreshTokens.isFamilyRevoked(claims.sid)) {
        throw new TokenError("session ended");
      }
      // The token's cameras as the account grants them now (user:set narrows at once).
      const user = await ctx.store.users.find(claims.sub);
      if (!user) throw new TokenError("the account no longer exists");
      c.set("viewer", { ...claims, cams: currentScope(claims.cams, user.cameras) });
    } catch (err) {
      const reason = err instanceof TokenError ? err.reason : "rejected";
      ctx.audit.log("token.refused", { route: c.req.path, reason, ip: c.env.remoteAddr });
      return problem(c, 401, "invalid_token", `the access token was refused (${reason})`, {
        "www-authenticate": 'Bearer realm="vigil", error="invalid_token"',
      });
    }
    await next();
  };
}

/**
 * Why a cookie-authenticated request (refresh, logout) comes from another
 * origin, or null when it does not. `SameSite=Strict` lets a sibling origin
 * of the same site (another port or subdomain) send the cookie; browsers
 * mark such requests `Sec-Fetch-Site: same-site` and name the page's
 * `Origin`. A client sending neither (curl, a native app) holds the cookie
 * itself and is not a confused deputy. Pure.
 */
export function crossOrigin(
  headers: { origin?: string; fetchSite?: string; host?: string },
): string | null {
  if (headers.fetchSite && !["same-origin", "none"].includes(headers.fetchSite)) {
    return `Sec-Fetch-Site: ${headers.fetchSite.slice(0, 20)}`;
  }
  if (headers.origin !== undefined) {
    let host: string;
    try {
      const u = new URL(headers.origin);
      if (u.protocol !== "https:") return "Origin is not https";
      host = u.host;
    } catch {
      return "Origin is not an origin";
    }
    if (host !== headers.host) return "Origin is another origin";
  }
  return null;
}

/**
 * Starts or continues a session: a rotating refresh token in `familyId` (the
 * cookie) and an access token naming how the login was made (`amr`);
 * `passkeyId` (a passkey login) is kept with the family so that removing the
 * passkey ends the session.
 */
export async function issueSession(
  ctx: ServerContext,
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  user: { name: string; cameras: string[]; role: AccessRole },
  familyId: string,
  amr: AuthMethod[],
  passkeyId: string | null = null,
) {
  const { name: username, cameras: cams, role } = user;
  const refresh = randomToken("vrt");
  await ctx.store.refreshTokens.store({
    hash: await sha256Hex(refresh),
    familyId,
    username,
    expiresAt: Date.now() + ctx.config.refreshTokenTtlMs,
    amr,
    passkeyId,
  }, Date.now());
  setCookie(c, REFRESH_COOKIE, refresh, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/",
    maxAge: Math.floor(ctx.config.refreshTokenTtlMs / 1000),
  });
  const accessToken = await signAccessToken(ctx.ring, {
    issuer: ctx.issuer,
    sub: username,
    cams,
    sid: familyId,
    ttlMs: ctx.config.accessTokenTtlMs,
    role,
    amr,
  });
  c.header("cache-control", "no-store");
  return c.json({
    accessToken,
    tokenType: "Bearer",
    expiresIn: Math.floor(ctx.config.accessTokenTtlMs / 1000),
    username,
    cameras: cams,
    role,
    amr,
  });
}

/** `/auth/login`, `/auth/refresh`, `/auth/logout`. */
export function authRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();

  // Refresh and logout act on the cookie: only this origin's pages may ask (CSRF).
  const sameOrigin: MiddlewareHandler<AppEnv> = async (c, next) => {
    const why = crossOrigin({
      origin: c.req.header("origin"),
      fetchSite: c.req.header("sec-fetch-site"),
      host: c.req.header("host"),
    });
    if (why) {
      ctx.audit.log("auth.cross_origin", { route: c.req.path, reason: why, ip: c.env.remoteAddr });
      return problem(c, 403, "cross_origin", `refused: ${why}; use this server's own page`);
    }
    await next();
  };
  app.use("/auth/refresh", sameOrigin);
  app.use("/auth/logout", sameOrigin);

  app.post("/auth/login", async (c) => {
    const ip = c.env.remoteAddr;
    const body = await readJson(c, LoginBody);
    if (!body.ok) return body.response;
    const { username, password } = body.data;
    const wait = Math.max(
      ctx.throttles.loginUser.retryAfterMs(username.toLowerCase()),
      ctx.throttles.loginAddress.retryAfterMs(ip),
    );
    if (wait > 0) {
      ctx.audit.log("login.throttled", { user: username, ip });
      return problem(c, 429, "throttled", "too many failed logins; try again later", {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    const user = await ctx.store.users.find(username);
    // Same work for an unknown user as for a wrong password.
    const ok = await verifyPassword(password, user?.passwordHash ?? await dummyHash()) &&
      user !== null;
    if (!ok || !user) {
      ctx.throttles.loginUser.fail(username.toLowerCase());
      ctx.throttles.loginAddress.fail(ip);
      ctx.audit.log("login.failure", {
        user: username,
        ip,
        reason: user ? "bad password" : "unknown user",
      });
      return problem(c, 401, "invalid_credentials", "wrong user name or password");
    }
    ctx.throttles.loginUser.succeed(username.toLowerCase());
    ctx.audit.log("login.success", { user: user.name, ip });
    return issueSession(ctx, c, user, crypto.randomUUID(), ["pwd"]);
  });

  app.post("/auth/refresh", async (c) => {
    const token = getCookie(c, REFRESH_COOKIE);
    if (!token || token.length > 200) {
      ctx.audit.log("refresh.refused", {
        reason: token ? "oversized" : "missing",
        ip: c.env.remoteAddr,
      });
      return problem(c, 401, "no_session", "no refresh cookie; log in");
    }
    const r = await ctx.store.refreshTokens.consume(await sha256Hex(token), Date.now());
    if (!r.ok) {
      ctx.audit.log("refresh.refused", {
        reason: r.reason,
        family: r.familyId,
        ip: c.env.remoteAddr,
      });
      if (r.reason === "reused" && r.familyId) {
        ctx.grants.familyRevoked(r.familyId, "session revoked");
      }
      deleteCookie(c, REFRESH_COOKIE, { path: "/", secure: true });
      const message = r.reason === "reused"
        ? "this refresh token was already used; the session has been ended for safety"
        : `the session is ${r.reason === "unknown" ? "unknown" : r.reason}; log in again`;
      return problem(c, 401, `refresh_${r.reason}`, message);
    }
    const user = await ctx.store.users.find(r.username);
    if (!user) return problem(c, 401, "no_session", "the account no longer exists");
    ctx.audit.log("refresh.success", { user: user.name, family: r.familyId });
    // The role is read again (user:set may have changed it); the methods are the login's.
    return issueSession(ctx, c, user, r.familyId, r.amr.filter(isAuthMethod), r.passkeyId);
  });

  app.post("/auth/logout", async (c) => {
    const token = getCookie(c, REFRESH_COOKIE);
    let family: string | null = null;
    if (token && token.length <= 200) {
      family = await ctx.store.refreshTokens.familyOf(await sha256Hex(token));
    }
    if (!family) {
      const m = /^Bearer ([^\s]+)$/.exec(c.req.header("authorization") ?? "");
      if (m) {
        try {
          family = (await verifyAccessToken(ctx.ring, m[1], ctx.issuer)).sid;
        } catch {
          // an invalid token cannot name a session to end
        }
      }
    }
    deleteCookie(c, REFRESH_COOKIE, { path: "/", secure: true });
    if (family) {
      await ctx.store.refreshTokens.revokeFamily(family, Date.now(), "logout");
      ctx.grants.familyRevoked(family, "logged out");
      // Other nodes read the event log now rather than at their next poll.
      ctx.bus.publish(topics.clusterEvents, {
        seq: await ctx.store.events.last(),
        node: ctx.nodeId,
      });
      ctx.audit.log("logout", { family });
    }
    return c.body(null, 204);
  });
  return app;
}
