/**
 * Operator commands (devices, users, PKI), as functions over the data dir so
 * that tests can call them in-process. The CLI wrapper is `main.ts`.
 * @module
 */
import { join } from "node:path";
import { DEVICE_ID, USER_NAME } from "../store/ids.ts";
import { UsageError } from "../../lib/cli.ts";
import { type Database, openDatabase } from "../store/db.ts";
import { addDeviceWithToken, listDevices, revokeDevice } from "../store/devices.ts";
import { createUser, listUsers, removeUser, setPassword } from "../store/users.ts";
import { revokeUserFamilies } from "../store/refresh_tokens.ts";
import { checkPasswordPolicy, hashPassword } from "../auth/password.ts";
import { randomToken, sha256Hex } from "../auth/secrets.ts";
import { ensureCa } from "../certs/pki_state.ts";
import { fingerprint256 } from "../../pki/mod.ts";
import { AuditLog } from "../audit/audit_log.ts";

/** Opens the store of a data dir (creating it). */
export async function openDataDir(dataDir: string): Promise<Database> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  return openDatabase(join(dataDir, "vigil.db"));
}

function audit(dataDir: string, event: string, fields: Record<string, unknown>) {
  const log = new AuditLog(join(dataDir, "audit.log"));
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
  dataDir: string,
  a: { id: string; label?: string; ttlMs: number; serverUrl: string },
): Promise<DeviceAdded> {
  const id = DEVICE_ID.safeParse(a.id);
  if (!id.success) throw new UsageError(id.error.issues[0].message);
  const db = await openDataDir(dataDir);
  try {
    const { ca } = await ensureCa(dataDir);
    const token = randomToken("vet");
    const expiresAt = Date.now() + a.ttlMs;
    addDeviceWithToken(db, { id: a.id, label: a.label ?? "" }, {
      hash: await sha256Hex(token),
      expiresAt,
    }, Date.now());
    const fp = fingerprint256(ca.certPem);
    audit(dataDir, "device.added", { device: a.id, expiresAt: new Date(expiresAt).toISOString() });
    return {
      deviceId: a.id,
      token,
      expiresAt: new Date(expiresAt).toISOString(),
      serverUrl: a.serverUrl,
      caFingerprint: fp,
      command: `deno task enroll --server ${a.serverUrl} --ca-fingerprint ${
        fp.replaceAll(":", "")
      } --token ${token}`,
    };
  } finally {
    db.close();
  }
}

/** Lists devices with their state. */
export async function deviceList(dataDir: string) {
  const db = await openDataDir(dataDir);
  try {
    const now = Date.now();
    return listDevices(db).map((d) => ({
      id: d.id,
      label: d.label,
      state: d.revokedAt !== null
        ? "revoked"
        : d.certNotAfter && d.certNotAfter > now
        ? "enrolled"
        : d.pendingTokenExpiresAt && d.pendingTokenExpiresAt > now
        ? "awaiting enrollment"
        : d.certNotAfter
        ? "certificate expired"
        : "token expired",
      certificateExpires: d.certNotAfter ? new Date(d.certNotAfter).toISOString() : null,
    }));
  } finally {
    db.close();
  }
}

/** Revokes a device's certificates (the server closes its connections within 1 s). */
export async function deviceRevoke(dataDir: string, id: string) {
  const db = await openDataDir(dataDir);
  try {
    const serials = revokeDevice(db, id, Date.now(), "operator");
    audit(dataDir, "device.revoked", { device: id, serials });
    return { deviceId: id, revokedSerials: serials };
  } finally {
    db.close();
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

/** Creates a viewer account. */
export async function userAdd(
  dataDir: string,
  a: { name: string; password: string; cameras: string[] },
) {
  const n = USER_NAME.safeParse(a.name);
  if (!n.success) throw new UsageError(n.error.issues[0].message);
  const policy = checkPasswordPolicy(a.password);
  if (policy) throw new UsageError(policy);
  const db = await openDataDir(dataDir);
  try {
    createUser(db, {
      name: a.name,
      passwordHash: await hashPassword(a.password),
      cameras: a.cameras,
    }, Date.now());
    audit(dataDir, "user.added", { user: a.name, cameras: a.cameras });
    return { name: a.name, cameras: a.cameras };
  } finally {
    db.close();
  }
}

/** Lists viewer accounts. */
export async function userList(dataDir: string) {
  const db = await openDataDir(dataDir);
  try {
    return listUsers(db).map((u) => ({
      name: u.name,
      cameras: u.cameras,
      created: new Date(u.createdAt).toISOString(),
    }));
  } finally {
    db.close();
  }
}

/** Removes a viewer account and ends its sessions. */
export async function userRemove(dataDir: string, name: string) {
  const db = await openDataDir(dataDir);
  try {
    revokeUserFamilies(db, name, Date.now());
    if (!removeUser(db, name)) throw new Error(`unknown user "${name}"`);
    audit(dataDir, "user.removed", { user: name });
    return { removed: name };
  } finally {
    db.close();
  }
}

/** Sets a new password and ends the user's sessions. */
export async function userPasswd(dataDir: string, name: string, password: string) {
  const policy = checkPasswordPolicy(password);
  if (policy) throw new UsageError(policy);
  const db = await openDataDir(dataDir);
  try {
    if (!setPassword(db, name, await hashPassword(password), Date.now())) {
      throw new Error(`unknown user "${name}"`);
    }
    revokeUserFamilies(db, name, Date.now());
    audit(dataDir, "user.password_changed", { user: name });
    return { name };
  } finally {
    db.close();
  }
}
