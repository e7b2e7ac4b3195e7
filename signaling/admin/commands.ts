/**
 * Operator commands (devices, users, PKI), as functions over the data dir so
 * that tests can call them in-process. The CLI wrapper is `main.ts`.
 * @module
 */
import { join } from "node:path";
import { DEVICE_ID, USER_NAME } from "../store/ids.ts";
import { UsageError } from "../../lib/cli.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import type { Store, UserGrants } from "../store/store.ts";
import { checkPasswordPolicy, hashPassword } from "../auth/password.ts";
import { randomToken, sha256Hex } from "../auth/secrets.ts";
import { ensureCa } from "../certs/pki_state.ts";
import { fingerprint256 } from "../../pki/mod.ts";
import { AuditLog } from "../audit/audit_log.ts";
import { enrollCommand } from "../devices/enroll_command.ts";
import { deviceState } from "../devices/device_state.ts";
import { sharedCaCertificate } from "../certs/shared_keys.ts";
import { openStore, type StoreSettings } from "../store/open.ts";

/**
 * Where the commands work: a data dir (its SQLite store and files), or a
 * cluster's shared store (`--store`; the data dir then holds only the
 * command's audit log).
 */
export type AdminTarget = string | (StoreSettings & { kekFile?: string | null });

const dirOf = (t: AdminTarget) => typeof t === "string" ? t : t.dataDir;

/** Opens the store of a target (creating the data dir). */
export async function openDataDir(t: AdminTarget): Promise<Store> {
  const dataDir = dirOf(t);
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (typeof t !== "string" && t.store) return await openStore(t);
  return await openSqliteStore(join(dataDir, "vigil.db"));
}

/** The CA certificate: the cluster's (public, from the store) or the data dir's (created). */
async function caCertificate(t: AdminTarget, db: Store): Promise<string> {
  if (typeof t !== "string" && t.store) {
    const pem = await sharedCaCertificate(db);
    if (!pem) throw new Error("the cluster has no CA yet: start a node first");
    return pem;
  }
  return (await ensureCa(dirOf(t))).ca.certPem;
}

function audit(t: AdminTarget, event: string, fields: Record<string, unknown>) {
  const log = new AuditLog(join(dirOf(t), "audit.log"));
  log.log(event, { ...fields, by: "operator" });
  log.close();
}

/** Result of `device:add`. */
export interface DeviceAdded {
  deviceId: string;
  token: string;
  expiresAt: string;
  serverUrl: string;
  caFingerprint: string;
  command: string;
}

/** Registers a device and returns its one-time enrollment token. */
export async function addDevice(
  dataDir: AdminTarget,
  a: { id: string; label?: string; ttlMs: number; serverUrl: string },
): Promise<DeviceAdded> {
  const id = DEVICE_ID.safeParse(a.id);
  if (!id.success) throw new UsageError(id.error.issues[0].message);
  const db = await openDataDir(dataDir);
  try {
    const caPem = await caCertificate(dataDir, db);
    const token = randomToken("vet");
    const expiresAt = Date.now() + a.ttlMs;
    await db.devices.addWithToken({ id: a.id, label: a.label ?? "" }, {
      hash: await sha256Hex(token),
      expiresAt,
    }, Date.now());
    const fp = fingerprint256(caPem);
    audit(dataDir, "device.added", { device: a.id, expiresAt: new Date(expiresAt).toISOString() });
    return {
      deviceId: a.id,
      token,
      expiresAt: new Date(expiresAt).toISOString(),
      serverUrl: a.serverUrl,
      caFingerprint: fp,
      command: enrollCommand(a.serverUrl, fp, token),
    };
  } finally {
    await db.close();
  }
}

/** Lists devices with their state. */
export async function deviceList(dataDir: AdminTarget) {
  const db = await openDataDir(dataDir);
  try {
    const now = Date.now();
    return (await db.devices.list()).map((d) => ({
      id: d.id,
      label: d.label,
      state: deviceState(d, now),
      certificateExpires: d.certNotAfter ? new Date(d.certNotAfter).toISOString() : null,
    }));
  } finally {
    await db.close();
  }
}

/** Revokes a device's certificates (the server closes its connections within 1 s). */
export async function deviceRevoke(dataDir: AdminTarget, id: string) {
  const db = await openDataDir(dataDir);
  try {
    const serials = await db.devices.revoke(id, Date.now(), "operator");
    audit(dataDir, "device.revoked", { device: id, serials });
    return { deviceId: id, revokedSerials: serials };
  } finally {
    await db.close();
  }
}

/** Parses `--cameras id1,id2` or `*`. */
export function parseCameras(text: string): string[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError("--cameras needs camera ids (id1,id2) or '*'");
  for (const c of list) {
    if (c !== "*" && !DEVICE_ID.safeParse(c).success) {
      throw new UsageError(`invalid camera id "${c}"`);
    }
  }
  return list.includes("*") ? ["*"] : list;
}

/** Parses `--recordings id1,id2`, `*` or `none` (no recordings). */
export function parseRecordings(text: string): string[] {
  if (text.trim() === "none") return [];
  try {
    return parseCameras(text);
  } catch (err) {
    throw new UsageError(
      `--recordings: ${(err as Error).message.replace(/^--cameras needs/, "needs")} (or 'none')`,
    );
  }
}

/** Creates a viewer account. */
export async function userAdd(
  dataDir: AdminTarget,
  a: { name: string; password: string; cameras: string[]; recordings?: string[]; admin?: boolean },
) {
  const n = USER_NAME.safeParse(a.name);
  if (!n.success) throw new UsageError(n.error.issues[0].message);
  const policy = checkPasswordPolicy(a.password);
  if (policy) throw new UsageError(policy);
  const db = await openDataDir(dataDir);
  try {
    await db.users.create({
      name: a.name,
      passwordHash: await hashPassword(a.password),
      cameras: a.cameras,
      recordings: a.recordings ?? [],
      role: a.admin ? "admin" : "viewer",
    }, Date.now());
    const role = a.admin ? "admin" : "viewer";
    audit(dataDir, "user.added", {
      user: a.name,
      cameras: a.cameras,
      recordings: a.recordings ?? [],
      role,
    });
    return { name: a.name, cameras: a.cameras, recordings: a.recordings ?? [], role };
  } finally {
    await db.close();
  }
}

/**
 * Changes a user's grants (`user:set`): each field given replaces the stored
 * one. A running server applies the new scope to live streams and sessions
 * (see `auth/live_grants.ts`); refreshed tokens carry it.
 */
export async function userSet(dataDir: AdminTarget, name: string, grants: UserGrants) {
  if (Object.values(grants).every((v) => v === undefined)) {
    throw new UsageError(
      "user:set needs something to change, e.g. --cameras id1,id2 or '*', --recordings id1|'*'|none, --admin or --no-admin",
    );
  }
  const db = await openDataDir(dataDir);
  try {
    if (!(await db.users.setGrants(name, grants, Date.now()))) {
      throw new Error(`unknown user "${name}"`);
    }
    const user = await db.users.find(name);
    audit(dataDir, "user.grants_changed", { user: name, ...grants });
    return {
      name,
      cameras: user?.cameras ?? [],
      recordings: user?.recordings ?? [],
      role: user?.role ?? "viewer",
    };
  } finally {
    await db.close();
  }
}

/** Lists viewer accounts. */
export async function userList(dataDir: AdminTarget) {
  const db = await openDataDir(dataDir);
  try {
    return (await db.users.list()).map((u) => ({
      name: u.name,
      cameras: u.cameras,
      recordings: u.recordings,
      role: u.role,
      created: new Date(u.createdAt).toISOString(),
    }));
  } finally {
    await db.close();
  }
}

/** Removes a viewer account and ends its sessions. */
export async function userRemove(dataDir: AdminTarget, name: string) {
  const db = await openDataDir(dataDir);
  try {
    await db.refreshTokens.revokeUserFamilies(name, Date.now());
    if (!(await db.users.remove(name))) throw new Error(`unknown user "${name}"`);
    audit(dataDir, "user.removed", { user: name });
    return { removed: name };
  } finally {
    await db.close();
  }
}

/** Sets a new password and ends the user's sessions. */
export async function userPasswd(dataDir: AdminTarget, name: string, password: string) {
  const policy = checkPasswordPolicy(password);
  if (policy) throw new UsageError(policy);
  const db = await openDataDir(dataDir);
  try {
    if (!(await db.users.setPassword(name, await hashPassword(password), Date.now()))) {
      throw new Error(`unknown user "${name}"`);
    }
    await db.refreshTokens.revokeUserFamilies(name, Date.now());
    audit(dataDir, "user.password_changed", { user: name });
    return { name };
  } finally {
    await db.close();
  }
}
