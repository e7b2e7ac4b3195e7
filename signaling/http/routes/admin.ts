/**
 * The admin JSON API under `/api/admin/…` (Bearer token with the admin role,
 * admin_guard.ts): devices, users, live sessions and the audit log, the same
 * operations as the operator commands, for the console and for scripts.
 * Sessions and the audit log are the whole cluster's (cluster/node_console.ts).
 * Every action is an `admin.*` audit event naming the admin; secrets (the
 * enrollment token, passwords) are never logged. See ../../PROTOCOL.md.
 * @module
 */
import { Hono } from "hono";
import { renderSVG } from "uqr";
import type { Context } from "hono";
import { z } from "zod";
import type { ServerContext } from "../../context.ts";
import { checkPasswordPolicy, hashPassword } from "../../auth/password.ts";
import { randomToken, sha256Hex } from "../../auth/secrets.ts";
import { deviceState } from "../../devices/device_state.ts";
import { enrollCommand } from "../../devices/enroll_command.ts";
import { DEVICE_ID, USER_NAME } from "../../store/ids.ts";
import type { UserGrants } from "../../store/store.ts";
import type { StreamStats } from "../../bus/topics.ts";
import { requireAdmin } from "./admin_guard.ts";
import type { AppEnv } from "./env.ts";
import { problem, readJson } from "./errors.ts";

const iso = (ms: number | null | undefined) => ms ? new Date(ms).toISOString() : null;

/** What the console shows of a publisher's last `stats` report (null before one). */
function streamOf(s: StreamStats | null | undefined) {
  if (!s) return null;
  const { viewers, bitrateBps, fps, packetsLost, rssBytes } = s;
  return { viewers, bitrateBps, fps, packetsLost, rssBytes };
}

const Cameras = z.array(z.union([z.literal("*"), DEVICE_ID])).max(1000)
  .transform((l) => l.includes("*") ? ["*"] : [...new Set(l)]);
const Password = z.string().min(1).max(1024);

const AddDevice = z.object({
  id: DEVICE_ID,
  label: z.string().max(100).optional(),
  /** Token lifetime in ms (default: the server's enrollTokenTtlMs), 1 min to 7 days. */
  ttlMs: z.number().int().min(60_000).max(7 * 86_400_000).optional(),
  /** The URL the Pi reaches this server at (default: this request's origin). */
  serverUrl: z.string().url().max(300).regex(/^https:\/\/[^\s]+$/, "an https:// URL").optional(),
}).strict();

const AddUser = z.object({
  name: USER_NAME,
  password: Password,
  cameras: Cameras,
  admin: z.boolean().optional(),
  /** Cameras whose recordings the user may watch (`["*"]`: all; default none). */
  recordings: Cameras.optional(),
}).strict();

const SetUser = z.object({
  cameras: Cameras.optional(),
  admin: z.boolean().optional(),
  recordings: Cameras.optional(),
}).strict();

const SetPassword = z.object({ password: Password }).strict();

const AuditQuery = z.object({
  kind: z.string().regex(/^[a-z_]+(\.[a-z_]+)*$/, "an event name or prefix, e.g. login").max(64)
    .optional(),
  device: DEVICE_ID.optional(),
  user: USER_NAME.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** `/api/admin/…`. */
export function adminRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/api/admin/*", requireAdmin(ctx));
  app.use("/api/admin/*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });

  const audit = (c: Context<AppEnv>, action: string, fields: Record<string, unknown>) =>
    ctx.audit.log(`admin.${action}`, {
      admin: c.get("viewer").sub,
      ip: c.env.remoteAddr,
      ...fields,
    });

  // --- devices ---
  app.get("/api/admin/devices", async (c) => {
    const now = Date.now();
    // Address, version and last seen come from the node holding each channel (cluster-wide).
    const { channels, lastSeen, unreachable } = await ctx.nodeConsole.devices();
    const devices = (await ctx.store.devices.list()).map((d) => {
      const p = ctx.presence.get(d.id);
      const ch = channels.get(d.id);
      const online = d.revokedAt === null && (p?.online ?? false);
      return {
        id: d.id,
        label: p?.label || d.label || d.id,
        state: deviceState(d, now),
        online,
        since: iso(p?.since ?? ctx.startedAt),
        lastSeen: iso(lastSeen.get(d.id) ?? null),
        address: ch?.address || null,
        version: ch?.version ?? null,
        node: ch?.node ?? null,
        stream: online ? streamOf(ch?.stats) : null,
        certExpires: iso(d.certNotAfter),
        tokenExpires: iso(d.pendingTokenExpiresAt),
        created: iso(d.createdAt),
        revoked: iso(d.revokedAt),
      };
    });
    return c.json({ devices, unreachable });
  });

  app.post("/api/admin/devices", async (c) => {
    const body = await readJson(c, AddDevice);
    if (!body.ok) return body.response;
    const { id, label, ttlMs, serverUrl } = body.data;
    const known = (await ctx.store.devices.list()).find((d) => d.id === id);
    if (known && deviceState(known, Date.now()) === "enrolled") {
      return problem(
        c,
        409,
        "device_enrolled",
        `device "${id}" is enrolled; revoke it first to enroll it again`,
      );
    }
    const token = randomToken("vet");
    const expiresAt = Date.now() + (ttlMs ?? ctx.config.enrollTokenTtlMs);
    await ctx.store.devices.addWithToken(
      { id, label: label ?? "" },
      { hash: await sha256Hex(token), expiresAt },
      Date.now(),
    );
    const url = serverUrl ?? new URL(c.req.url).origin;
    const command = enrollCommand(url, ctx.pki.caFingerprint, token);
    audit(c, "device_added", { device: id, expiresAt: iso(expiresAt) });
    return c.json({
      deviceId: id,
      token,
      expiresAt: iso(expiresAt),
      serverUrl: url,
      caFingerprint: ctx.pki.caFingerprint,
      command,
      // The command as a QR code (SVG) for typing-free setup on the Pi's side.
      qrSvg: renderSVG(command, { ecc: "M", border: 2 }),
    }, 201);
  });

  app.delete("/api/admin/devices/:id", async (c) => {
    const id = c.req.param("id");
    if (!DEVICE_ID.safeParse(id).success || !(await ctx.store.devices.exists(id))) {
      return problem(c, 404, "unknown_device", `no device "${id.slice(0, 64)}"`);
    }
    const serials = await ctx.store.devices.revoke(id, Date.now(), "admin");
    // Enforced now, not at the next poll: channels close, connections drop.
    await ctx.revocations.reload();
    ctx.hub.closeDevice(id, "device revoked");
    audit(c, "device_revoked", { device: id, serials });
    return c.json({ deviceId: id, revokedSerials: serials });
  });

  // --- users ---
  app.get("/api/admin/users", async (c) => {
    const users = (await ctx.store.users.list()).map((u) => ({
      name: u.name,
      cameras: u.cameras,
      recordings: u.recordings,
      role: u.role,
      created: iso(u.createdAt),
      updated: iso(u.updatedAt),
    }));
    return c.json({ users });
  });

  app.post("/api/admin/users", async (c) => {
    const body = await readJson(c, AddUser);
    if (!body.ok) return body.response;
    const { name, password, cameras, admin } = body.data;
    const recordings = body.data.recordings ?? [];
    const policy = checkPasswordPolicy(password);
    if (policy) return problem(c, 400, "weak_password", policy);
    if (await ctx.store.users.find(name)) {
      return problem(c, 409, "user_exists", `user "${name}" already exists`);
    }
    const role = admin ? "admin" : "viewer";
    try {
      await ctx.store.users.create(
        { name, passwordHash: await hashPassword(password), cameras, recordings, role },
        Date.now(),
      );
    } catch {
      return problem(c, 409, "user_exists", `user "${name}" already exists`);
    }
    audit(c, "user_added", { user: name, cameras, recordings, role });
    return c.json({ name, cameras, recordings, role }, 201);
  });

  /** Whether removing or demoting `name` would leave no admin. */
  async function lastAdmin(name: string): Promise<boolean> {
    const admins = (await ctx.store.users.list()).filter((u) => u.role === "admin");
    return admins.length === 1 && admins[0].name === name;
  }

  const unknownUser = (c: Context, name: string) =>
    problem(c, 404, "unknown_user", `no user "${name.slice(0, 64)}"`);

  app.patch("/api/admin/users/:name", async (c) => {
    const name = c.req.param("name");
    const body = await readJson(c, SetUser);
    if (!body.ok) return body.response;
    const { cameras, admin, recordings } = body.data;
    const grants: UserGrants = { cameras, admin, recordings };
    if (cameras === undefined && admin === undefined && recordings === undefined) {
      return problem(c, 400, "invalid_request", "send cameras, recordings and/or admin to change");
    }
    if (admin === false && await lastAdmin(name)) {
      return problem(c, 409, "last_admin", "this is the last admin; make another admin first");
    }
    if (!(await ctx.store.users.setGrants(name, grants, Date.now()))) return unknownUser(c, name);
    const user = await ctx.store.users.find(name);
    audit(c, "user_changed", { user: name, ...grants });
    return c.json({
      name,
      cameras: user?.cameras ?? [],
      recordings: user?.recordings ?? [],
      role: user?.role ?? "viewer",
    });
  });

  app.post("/api/admin/users/:name/password", async (c) => {
    const name = c.req.param("name");
    const body = await readJson(c, SetPassword);
    if (!body.ok) return body.response;
    const policy = checkPasswordPolicy(body.data.password);
    if (policy) return problem(c, 400, "weak_password", policy);
    const hash = await hashPassword(body.data.password);
    if (!(await ctx.store.users.setPassword(name, hash, Date.now()))) return unknownUser(c, name);
    // A reset ends the user's logins and their live sessions.
    await ctx.store.refreshTokens.revokeUserFamilies(name, Date.now());
    await ctx.viewing.endRevokedFamilies();
    audit(c, "user_password_reset", { user: name });
    return c.body(null, 204);
  });

  app.delete("/api/admin/users/:name", async (c) => {
    const name = c.req.param("name");
    if (!(await ctx.store.users.find(name))) return unknownUser(c, name);
    if (await lastAdmin(name)) {
      return problem(c, 409, "last_admin", "this is the last admin; make another admin first");
    }
    await ctx.store.refreshTokens.revokeUserFamilies(name, Date.now());
    if (!(await ctx.store.users.remove(name))) return unknownUser(c, name);
    await ctx.viewing.endRevokedFamilies();
    audit(c, "user_removed", { user: name });
    return c.body(null, 204);
  });

  // --- stored footage: the shared index, so the whole cluster's ---
  app.get("/api/admin/recordings", async (c) => {
    const labels = new Map((await ctx.store.devices.list()).map((d) => [d.id, d.label]));
    const usage = await ctx.store.recordings.perCamera();
    return c.json({
      cameras: usage.map((u) => ({
        camera: u.camera,
        label: ctx.presence.get(u.camera)?.label || labels.get(u.camera) || null,
        segments: u.segments,
        bytes: u.bytes,
        from: iso(u.fromMs),
        to: iso(u.toMs),
      })),
      totalBytes: usage.reduce((n, u) => n + u.bytes, 0),
      retention: {
        maxAgeMs: ctx.config.recordingsRetentionMs,
        maxBytes: ctx.config.recordingsMaxBytes,
      },
    });
  });

  // --- live sessions and the audit log: every live node's (cluster/node_console.ts) ---
  app.get("/api/admin/sessions", async (c) => {
    const { sessions, unreachable } = await ctx.nodeConsole.sessions();
    return c.json({ sessions, unreachable });
  });

  app.delete("/api/admin/sessions/:id", async (c) => {
    const id = c.req.param("id");
    const r = await ctx.nodeConsole.end(id, c.get("viewer").sub, c.env.remoteAddr);
    if (r === "ended") return c.body(null, 204);
    if (r === "unknown") return problem(c, 404, "unknown_session", "no such live session");
    return problem(
      c,
      503,
      "node_unreachable",
      `no reachable node holds this session; not answering: ${r.unreachable.join(", ")}`,
    );
  });

  app.get("/api/admin/audit", async (c) => {
    const q = AuditQuery.safeParse(c.req.query());
    if (!q.success) {
      const issue = q.error.issues[0];
      return problem(
        c,
        400,
        "invalid_request",
        `${issue.path.map(String).join(".") || "query"}: ${issue.message}`,
      );
    }
    const { entries, unreachable } = await ctx.nodeConsole.auditEntries(q.data);
    return c.json({ entries, unreachable });
  });

  return app;
}
