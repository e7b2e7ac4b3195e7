/**
 * Viewer accounts: a password hash (see `auth/password.ts`) and the cameras
 * the viewer may watch (`["*"]` for all).
 * @module
 */
import type { Database } from "./db.ts";

/** A viewer account. */
export interface UserRecord {
  name: string;
  passwordHash: string;
  cameras: string[];
  createdAt: number;
  updatedAt: number;
}

/** Creates a user; throws if the name is taken. */
export function createUser(
  db: Database,
  user: { name: string; passwordHash: string; cameras: string[] },
  now: number,
): void {
  try {
    db.prepare(
      "INSERT INTO users (name, password_hash, cameras, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    ).run(user.name, user.passwordHash, JSON.stringify(user.cameras), now, now);
  } catch (err) {
    if (/UNIQUE/.test((err as Error).message)) {
      throw new Error(`user "${user.name}" already exists`);
    }
    throw err;
  }
}

/** Finds a user by name. */
export function findUser(db: Database, name: string): UserRecord | null {
  const row = db.prepare(
    "SELECT name, password_hash, cameras, created_at, updated_at FROM users WHERE name = ?",
  ).get(name) as Record<string, string | number> | undefined;
  if (!row) return null;
  return {
    name: row.name as string,
    passwordHash: row.password_hash as string,
    cameras: JSON.parse(row.cameras as string) as string[],
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

/** All users, without their password hashes. */
export function listUsers(db: Database): Omit<UserRecord, "passwordHash">[] {
  const rows = db.prepare("SELECT name, cameras, created_at, updated_at FROM users ORDER BY name")
    .all() as Record<string, string | number>[];
  return rows.map((r) => ({
    name: r.name as string,
    cameras: JSON.parse(r.cameras as string) as string[],
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  }));
}

/** Replaces a user's password hash; returns false for an unknown user. */
export function setPassword(db: Database, name: string, hash: string, now: number): boolean {
  const r = db.prepare("UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?").run(
    hash,
    now,
    name,
  );
  return Number(r.changes) === 1;
}

/** Removes a user (and, by cascade, their refresh tokens). */
export function removeUser(db: Database, name: string): boolean {
  return Number(db.prepare("DELETE FROM users WHERE name = ?").run(name).changes) === 1;
}
