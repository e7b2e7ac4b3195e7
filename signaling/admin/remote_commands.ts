/**
 * The operator commands over the admin API (`--remote`): each command's
 * request and what it prints. The same names and arguments as on the server
 * host, plus `session:list`, `session:end` and `audit:list`, which only a
 * running server can answer.
 *
 * @example
 * ```ts
 * const out = await runRemote(api, "device:list", [], {});
 * console.log(out.text); // "frontdoor\tonline\tenrolled\tcert until …"
 * ```
 * @module
 */
import { UsageError } from "../../lib/cli.ts";
import type { AdminApi } from "./remote.ts";
import type { AuditFilter } from "./options.ts";
import { parseCameras, parseRecordings } from "./commands.ts";

/** A command's answer: the JSON for `--json` and the text otherwise. */
export interface RemoteOutput {
  data: unknown;
  text: string;
}

/** What the commands take besides their positional name. */
export interface RemoteArgs {
  label?: string;
  ttlMs?: number;
  serverUrl?: string;
  cameras?: string;
  recordings?: string;
  admin?: boolean;
  audit?: AuditFilter;
  /** The new password of `user:add` / `user:passwd` (asked by the caller). */
  password?: () => Promise<string>;
}

interface Device {
  id: string;
  label: string;
  state: string;
  online: boolean;
  lastSeen: string | null;
  address: string | null;
  version: string | null;
  node: string | null;
  certExpires: string | null;
  stream: { viewers: number; bitrateBps: number; fps: number } | null;
}
interface User {
  name: string;
  cameras: string[];
  recordings: string[];
  role: string;
}
interface Session {
  id: string;
  camera: string;
  viewer: string;
  since: string;
  from: string;
  path: string | null;
  node: string;
}

const seg = encodeURIComponent;

/** `unreachable` nodes, as a line to add, or "". */
function unreachableLine(u: unknown): string {
  return Array.isArray(u) && u.length ? `\n(nodes not answering: ${u.join(", ")})` : "";
}

/** Rows as tab-separated lines (cells terminal-safe, empty cells left out), or `none`. */
function lines(rows: string[][], none: string, unreachable?: unknown): string {
  const text = rows.length === 0
    ? none
    : rows.map((r) => r.filter(Boolean).map(terminalSafe).join("\t")).join("\n");
  return text + unreachableLine(unreachable);
}

/** Runs `command` against the API. */
export async function runRemote(
  api: AdminApi,
  command: string,
  positionals: string[],
  a: RemoteArgs,
): Promise<RemoteOutput> {
  const one = () => {
    if (positionals.length !== 1) {
      throw new UsageError(`${command} takes exactly one name (see --help)`);
    }
    return positionals[0];
  };
  switch (command) {
    case "device:add": {
      const r = await api.call<
        { deviceId: string; expiresAt: string; caFingerprint: string; command: string }
      >("POST", "/api/admin/devices", {
        id: one(),
        label: a.label,
        ttlMs: a.ttlMs,
        serverUrl: a.serverUrl,
      });
      return {
        data: r,
        text: [
          `device "${r.deviceId}" registered; its enrollment token expires ${r.expiresAt} and works once.`,
          `CA fingerprint (SHA-256): ${r.caFingerprint}`,
          "Run on the Pi:",
          `  ${r.command}`,
        ].join("\n"),
      };
    }
    case "device:list": {
      const r = await api.call<{ devices: Device[]; unreachable: string[] }>(
        "GET",
        "/api/admin/devices",
      );
      return {
        data: r,
        text: lines(
          r.devices.map((d) => [
            d.id,
            d.online ? "online" : "offline",
            d.state,
            d.certExpires ? `cert until ${d.certExpires}` : "",
            d.lastSeen ? `seen ${d.lastSeen}` : "",
            d.address ?? "",
            d.version ?? "",
            d.stream
              ? `${(d.stream.bitrateBps / 1e6).toFixed(2)} Mbit/s ${
                Math.round(d.stream.fps)
              } fps ${d.stream.viewers} viewing`
              : "",
          ]),
          "no devices",
          r.unreachable,
        ),
      };
    }
    case "device:revoke": {
      const r = await api.call<{ deviceId: string; revokedSerials: string[] }>(
        "DELETE",
        `/api/admin/devices/${seg(one())}`,
      );
      return {
        data: r,
        text:
          `device "${r.deviceId}" revoked (${r.revokedSerials.length} certificate(s)); its connections are closed`,
      };
    }
    case "user:add": {
      const name = one();
      if (!a.cameras) throw new UsageError("user:add needs --cameras id1,id2 or --cameras '*'");
      const body = {
        name,
        cameras: parseCameras(a.cameras),
        recordings: a.recordings !== undefined ? parseRecordings(a.recordings) : [],
        admin: a.admin ?? false,
        password: await a.password!(),
      };
      const r = await api.call<User>("POST", "/api/admin/users", body);
      return { data: r, text: `user "${r.name}" added${roleNote(r)}; ${grantsText(r)}` };
    }
    case "user:set": {
      const name = one();
      const body = {
        cameras: a.cameras !== undefined ? parseCameras(a.cameras) : undefined,
        recordings: a.recordings !== undefined ? parseRecordings(a.recordings) : undefined,
        admin: a.admin,
      };
      if (Object.values(body).every((v) => v === undefined)) {
        throw new UsageError("user:set needs --cameras, --recordings, --admin or --no-admin");
      }
      const r = await api.call<User>("PATCH", `/api/admin/users/${seg(name)}`, body);
      return { data: r, text: `user "${r.name}" (${r.role}) ${grantsText(r)}` };
    }
    case "user:list": {
      const r = await api.call<{ users: User[] }>("GET", "/api/admin/users");
      return {
        data: r.users,
        text: r.users.length === 0
          ? "no users"
          : r.users.map((u) =>
            `${u.name}\t${u.role}\tlive: ${u.cameras.join(",") || "none"}\trecordings: ${
              u.recordings.join(",") || "none"
            }`
          ).join("\n"),
      };
    }
    case "user:remove": {
      const name = one();
      await api.call("DELETE", `/api/admin/users/${seg(name)}`);
      return { data: { removed: name }, text: `user "${name}" removed; their sessions are ended` };
    }
    case "user:passwd": {
      const name = one();
      await api.call("POST", `/api/admin/users/${seg(name)}/password`, {
        password: await a.password!(),
      });
      return { data: { name }, text: `password of "${name}" changed; their sessions are ended` };
    }
    case "session:list": {
      const r = await api.call<{ sessions: Session[]; unreachable: string[] }>(
        "GET",
        "/api/admin/sessions",
      );
      return {
        data: r,
        text: lines(
          r.sessions.map((s) => [
            s.id,
            s.camera,
            s.viewer,
            `since ${s.since}`,
            `from ${s.from}`,
            s.path ?? "connecting",
            `node ${s.node}`,
          ]),
          "no live sessions",
          r.unreachable,
        ),
      };
    }
    case "session:end": {
      const id = one();
      await api.call("DELETE", `/api/admin/sessions/${seg(id)}`);
      return { data: { ended: id }, text: `session ${id} ended` };
    }
    case "audit:list": {
      if (positionals.length) {
        throw new UsageError("audit:list takes no name; filter with --kind, --device, --user");
      }
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(a.audit ?? {})) q.set(k, String(v));
      const r = await api.call<{ entries: Record<string, unknown>[]; unreachable: string[] }>(
        "GET",
        `/api/admin/audit${q.size ? `?${q}` : ""}`,
      );
      return {
        data: r,
        text: (r.entries.length === 0 ? "no entries" : r.entries.map(auditLine).join("\n")) +
          unreachableLine(r.unreachable),
      };
    }
    default:
      throw new UsageError(`unknown command "${command}" (see --help)`);
  }
}

function roleNote(u: User): string {
  return u.role === "admin" ? " as an admin" : "";
}

function grantsText(u: User): string {
  return `may watch ${u.cameras.join(", ") || "nothing"} live, recordings of ${
    u.recordings.join(", ") || "none"
  }`;
}

/**
 * One audit entry as `time event key=value …`: values JSON-quoted when not
 * plain, and the characters a terminal or a reader could be fooled by (C1
 * controls, line separators, bidirectional overrides) escaped as well —
 * audit fields hold what clients sent.
 */
export function auditLine(e: Record<string, unknown>): string {
  const { ts, event, ...rest } = e;
  const show = (v: unknown) =>
    typeof v === "string" && /^[\w.:@/+-]+$/.test(v)
      ? v
      : terminalSafe(JSON.stringify(v) ?? "null");
  const fields = Object.entries(rest).map(([k, v]) => `${terminalSafe(k)}=${show(v)}`);
  return [show(ts ?? ""), show(event ?? ""), ...fields].join(" ");
}

/** `s` with terminal controls, line separators and bidi overrides as `\\uXXXX`. */
export function terminalSafe(s: string): string {
  return s.replace(
    // deno-lint-ignore no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
