/**
 * Viewer accounts (the {@linkcode UserStore} over SQL): a password hash (see
 * `auth/password.ts`), the cameras the viewer may watch (`["*"]` for all),
 * kept as JSON text, and the role (`viewer` or `admin`).
 * @module
 */
import { appendEvent } from "./cluster.ts";
import type { SqlDriver, SqlValue } from "./sql.ts";
import type { Role, UserStore } from "./store.ts";

type Row = {
  name: string;
  password_hash: string;
  cameras: string;
  recordings: string;
  role: string;
  created_at: number;
  updated_at: number;
};

/** Anything but `admin` reads as the least role. */
const asRole = (r: string): Role => r === "admin" ? "admin" : "viewer";

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The user store over `db`. */
export function userStore(db: SqlDriver): UserStore {
  return {
    async create(user, now) {
      const added = await db.run(
        `INSERT INTO users (name, password_hash, cameras, recordings, role, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING`,
        [
          user.name,
          user.passwordHash,
          JSON.stringify(user.cameras),
          JSON.stringify(user.recordings ?? []),
          user.role ?? "viewer",
          now,
        ],
      );
      if (added !== 1) throw new Error(`user "${user.name}" already exists`);
    },

    async find(name) {
      const row = await db.get<Row>(
        "SELECT name, password_hash, cameras, recordings, role, created_at, updated_at FROM users WHERE name = $1",
        [name],
      );
      if (!row) return null;
      return {
        name: row.name,
        passwordHash: row.password_hash,
        cameras: JSON.parse(row.cameras) as string[],
        recordings: JSON.parse(row.recordings) as string[],
        role: asRole(row.role),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      };
    },

    async list() {
      const rows = await db.all<Omit<Row, "password_hash">>(
        "SELECT name, cameras, recordings, role, created_at, updated_at FROM users",
      );
      // Sorted here: engines' collations differ.
      return rows.sort(byName).map((r) => ({
        name: r.name,
        cameras: JSON.parse(r.cameras) as string[],
        recordings: JSON.parse(r.recordings) as string[],
        role: asRole(r.role),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      }));
    },

    async setPassword(name, hash, now) {
      return await db.run("UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3", [
        hash,
        now,
        name,
      ]) === 1;
    },

    setGrants: (name, grants, now) =>
      db.transaction(async (tx) => {
        // Only the fields given; column names come from this list, never from input.
        const sets: [string, SqlValue][] = [];
        if (grants.cameras !== undefined) sets.push(["cameras", JSON.stringify(grants.cameras)]);
        // Recordings grants are checked against the store on every recordings request.
        if (grants.recordings !== undefined) {
          sets.push(["recordings", JSON.stringify(grants.recordings)]);
        }
        if (grants.admin !== undefined) sets.push(["role", grants.admin ? "admin" : "viewer"]);
        if (sets.length === 0) {
          return (await tx.get("SELECT 1 AS one FROM users WHERE name = $1", [name])) !== undefined;
        }
        const assign = sets.map(([col], i) => `${col} = $${i + 1}`).join(", ");
        const changed = await tx.run(
          `UPDATE users SET ${assign}, updated_at = $${sets.length + 1} WHERE name = $${
            sets.length + 2
          }`,
          [...sets.map(([, v]) => v), now, name],
        );
        if (changed !== 1) return false;
        // Other nodes end streams outside a new camera scope; a role is read per request.
        if (grants.cameras !== undefined) await appendEvent(tx, "user.scope", name, now);
        return true;
      }),

    remove: (name) =>
      db.transaction(async (tx) => {
        if (await tx.run("DELETE FROM users WHERE name = $1", [name]) !== 1) return false;
        await appendEvent(tx, "user.removed", name, Date.now());
        return true;
      }),
  };
}
