/**
 * Passkeys (WebAuthn Level 3 through @simplewebauthn/server): a logged-in
 * viewer registers one (`/auth/passkeys/register/*`, Bearer), anyone logs in
 * with one (`/auth/passkeys/login/*`, no Bearer) and gets the same session as
 * a password login, with `amr: ["hwk", "user"]` (RFC 8176 §2) and `"mfa"`
 * when the authenticator verified the user. Each ceremony
 * is an options call that stores a random challenge server-side for 2 minutes
 * under a flow id, and a verify call that takes it exactly once; the library
 * compares the challenge, origin and RP ID hash and checks the signature and
 * counter.
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { ServerContext } from "../../context.ts";
import { encodeBase64Url } from "../../auth/base64url.ts";
import { issueSession, requireViewer } from "./auth.ts";
import type { AuthMethod } from "../../auth/tokens.ts";
import { topics } from "../../bus/topics.ts";
import type { AppEnv } from "./env.ts";
import { problem, readJson } from "./errors.ts";
import { expectedOrigin, relyingPartyId } from "./passkeys_policy.ts";

/** How long a ceremony's challenge may be answered. */
export const CHALLENGE_TTL_MS = 2 * 60_000;

const b64url = z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/, "base64url");

/** A credential as `@simplewebauthn/browser` sends it (fields the library reads, bounded). */
const Credential = z.object({
  id: b64url.max(1400),
  rawId: b64url.max(1400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url.optional(),
    authenticatorData: b64url.optional(),
    signature: b64url.optional(),
    userHandle: b64url.max(128).optional(),
    transports: z.array(z.string().max(32)).max(8).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url.optional(),
  }).loose(),
  authenticatorAttachment: z.string().max(32).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
}).strict();

const Flow = z.string().regex(/^[0-9a-f-]{36}$/, "a flow id from the options call");
const VerifyBody = z.object({ flow: Flow, credential: Credential }).strict();
const LoginOptionsBody = z.object({ username: z.string().min(1).max(64).optional() }).strict();
const RegisterOptionsBody = z.object({}).strict();

function decodeBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The passkey routes. */
export function passkeyRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const rpID = relyingPartyId(ctx.config);
  const viewer = requireViewer(ctx);
  app.use("/auth/passkeys/register/*", viewer);
  app.use("/auth/passkeys/list", viewer);
  app.use("/auth/passkeys/credential/*", viewer);

  const originOf = (c: { req: { header(n: string): string | undefined } }) =>
    expectedOrigin(ctx.config, rpID, c.req.header("host"));

  /**
   * Each options call stores a challenge: an address that starts many
   * ceremonies without finishing them waits (429) instead of filling the
   * table; a finished one clears its count.
   */
  const ceremonyRefused = (c: Parameters<typeof problem>[0]) => {
    const ip = c.env.remoteAddr;
    const wait = ctx.throttles.ceremonyAddress.retryAfterMs(ip);
    if (wait <= 0) {
      ctx.throttles.ceremonyAddress.fail(ip);
      return null;
    }
    ctx.audit.log("passkey.throttled", { ip });
    return problem(c, 429, "throttled", "too many unfinished passkey ceremonies; try again later", {
      "retry-after": String(Math.ceil(wait / 1000)),
    });
  };

  app.post("/auth/passkeys/register/options", async (c) => {
    const body = await readJson(c, RegisterOptionsBody);
    if (!body.ok) return body.response;
    const refused = ceremonyRefused(c);
    if (refused) return refused;
    const user = c.get("viewer").sub;
    const existing = await ctx.store.passkeys.list(user);
    if (existing.length >= 16) {
      return problem(c, 409, "too_many_passkeys", "at most 16 passkeys per account; remove one");
    }
    const options = await generateRegistrationOptions({
      rpName: "vigil",
      rpID,
      userName: user,
      attestationType: "none",
      timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    });
    const flow = crypto.randomUUID();
    await ctx.store.passkeys.putChallenge({
      id: flow,
      challenge: options.challenge,
      kind: "register",
      username: user,
      expiresAt: Date.now() + CHALLENGE_TTL_MS,
    }, Date.now());
    c.header("cache-control", "no-store");
    return c.json({ flow, options });
  });

  app.post("/auth/passkeys/register/verify", async (c) => {
    const ip = c.env.remoteAddr;
    const body = await readJson(c, VerifyBody);
    if (!body.ok) return body.response;
    const user = c.get("viewer").sub;
    const refuse = (reason: string, message: string) => {
      ctx.audit.log("passkey.register.failure", { user, ip, reason });
      return problem(c, 400, "passkey_refused", message);
    };
    const taken = await ctx.store.passkeys.takeChallenge(body.data.flow, "register", Date.now());
    if (!taken || taken.username !== user) {
      return refuse("unknown or expired flow", "this registration expired or was already used");
    }
    const origin = originOf(c);
    if (!origin) return refuse("no origin", "set --origin: the request's Host is not the RP ID");
    let result;
    try {
      result = await verifyRegistrationResponse({
        response: body.data.credential as unknown as RegistrationResponseJSON,
        expectedChallenge: taken.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: false,
      });
    } catch (err) {
      return refuse(
        `verification: ${String((err as Error).message).slice(0, 200)}`,
        "the passkey was refused",
      );
    }
    if (!result.verified) return refuse("not verified", "the passkey was refused");
    const cred = result.registrationInfo.credential;
    const added = await ctx.store.passkeys.add({
      id: cred.id,
      username: user,
      publicKey: encodeBase64Url(cred.publicKey),
      counter: cred.counter,
      transports: (cred.transports ?? []).slice(0, 8),
    }, Date.now());
    if (!added) return refuse("credential id taken", "this passkey is already registered");
    ctx.throttles.ceremonyAddress.succeed(ip);
    ctx.audit.log("passkey.registered", { user, ip, credential: cred.id.slice(0, 16) });
    return c.json({ id: cred.id }, 201);
  });

  app.get("/auth/passkeys/list", async (c) => {
    const list = await ctx.store.passkeys.list(c.get("viewer").sub);
    c.header("cache-control", "no-store");
    return c.json({
      passkeys: list.map((p) => ({
        id: p.id,
        createdAt: p.createdAt,
        lastUsedAt: p.lastUsedAt,
        transports: p.transports,
      })),
    });
  });

  app.delete("/auth/passkeys/credential/:id", async (c) => {
    const id = c.req.param("id");
    if (!b64url.safeParse(id).success) return problem(c, 400, "invalid_request", "id: base64url");
    const user = c.get("viewer").sub;
    if (!await ctx.store.passkeys.remove(user, id)) {
      return problem(c, 404, "not_found", "you have no passkey with this id");
    }
    // A removed passkey may be a lost one: the sessions it started end too
    // (this one included, when it was made with it).
    const families = await ctx.store.refreshTokens.revokePasskeyFamilies(id, Date.now());
    for (const f of families) ctx.grants.familyRevoked(f, "passkey removed");
    if (families.length > 0) {
      // Other nodes read the event log now rather than at their next poll.
      ctx.bus.publish(topics.clusterEvents, {
        seq: await ctx.store.events.last(),
        node: ctx.nodeId,
      });
    }
    ctx.audit.log("passkey.removed", {
      user,
      ip: c.env.remoteAddr,
      credential: id.slice(0, 16),
      sessionsEnded: families.length,
    });
    return c.body(null, 204);
  });

  app.post("/auth/passkeys/login/options", async (c) => {
    const body = await readJson(c, LoginOptionsBody);
    if (!body.ok) return body.response;
    const refused = ceremonyRefused(c);
    if (refused) return refused;
    const username = body.data.username ?? null;
    // With a name, only that account's passkeys are offered (and accepted).
    const allow = username
      ? (await ctx.store.passkeys.list(username)).map((p) => ({
        id: p.id,
        transports: p.transports,
      }))
      : undefined;
    const options = await generateAuthenticationOptions({
      rpID,
      allowCredentials: allow,
      userVerification: "preferred",
      timeout: CHALLENGE_TTL_MS,
    });
    const flow = crypto.randomUUID();
    await ctx.store.passkeys.putChallenge({
      id: flow,
      challenge: options.challenge,
      kind: "login",
      username,
      expiresAt: Date.now() + CHALLENGE_TTL_MS,
    }, Date.now());
    c.header("cache-control", "no-store");
    return c.json({ flow, options });
  });

  app.post("/auth/passkeys/login/verify", async (c) => {
    const ip = c.env.remoteAddr;
    const wait = ctx.throttles.loginAddress.retryAfterMs(ip);
    if (wait > 0) {
      ctx.audit.log("login.throttled", { ip, method: "passkey" });
      return problem(c, 429, "throttled", "too many failed logins; try again later", {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    const body = await readJson(c, VerifyBody);
    if (!body.ok) return body.response;
    const credId = body.data.credential.id;
    const refuse = (reason: string, user?: string) => {
      ctx.throttles.loginAddress.fail(ip);
      ctx.audit.log("login.failure", {
        method: "passkey",
        user,
        ip,
        reason,
        credential: credId.slice(0, 16),
      });
      return problem(c, 401, "passkey_refused", "the passkey login was refused; try again");
    };
    const taken = await ctx.store.passkeys.takeChallenge(body.data.flow, "login", Date.now());
    if (!taken) return refuse("unknown, used or expired flow");
    const stored = await ctx.store.passkeys.find(credId);
    if (!stored) return refuse("unknown credential");
    if (taken.username !== null && taken.username !== stored.username) {
      return refuse("credential of another account", taken.username);
    }
    const origin = originOf(c);
    if (!origin) return refuse("no origin (Host is not the RP ID)", stored.username);
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response: body.data.credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: taken.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: {
          id: stored.id,
          publicKey: decodeBase64Url(stored.publicKey),
          counter: stored.counter,
          transports: stored.transports,
        },
        requireUserVerification: false,
      });
    } catch (err) {
      return refuse(
        `verification: ${String((err as Error).message).slice(0, 200)}`,
        stored.username,
      );
    }
    if (!result.verified) return refuse("not verified", stored.username);
    const user = await ctx.store.users.find(stored.username);
    if (!user) return refuse("account removed", stored.username);
    await ctx.store.passkeys.used(stored.id, result.authenticationInfo.newCounter, Date.now());
    ctx.throttles.ceremonyAddress.succeed(ip);
    // User verification is preferred, not required (a touch-only security key still signs a
    // viewer in); whether it happened is in amr, and --admin-require-passkey asks for it.
    const verified = result.authenticationInfo.userVerified;
    ctx.audit.log("login.success", {
      user: user.name,
      ip,
      method: "passkey",
      verified,
      credential: stored.id.slice(0, 16),
    });
    const amr: AuthMethod[] = verified ? ["hwk", "mfa", "user"] : ["hwk", "user"];
    return issueSession(ctx, c, user, crypto.randomUUID(), amr, stored.id);
  });

  return app;
}
