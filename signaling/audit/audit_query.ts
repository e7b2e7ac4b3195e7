/**
 * Reading the audit log back for the console (`GET /api/admin/audit`): the
 * newest entries of the JSON-lines file, filtered by kind, device and user.
 * Only the file's tail is read (`MAX_TAIL_BYTES`), so a large log costs the
 * same as a small one. The filter is pure ({@linkcode filterAudit}).
 * @module
 */

/** Bytes read from the end of the log at most. */
export const MAX_TAIL_BYTES = 4 * 1024 * 1024;

/** A filter on audit entries; every field given must match. */
export interface AuditFilter {
  /** An event name (`login.failure`) or its prefix up to a dot (`login`, `admin`). */
  kind?: string;
  /** A device id, in `device` or `camera`. */
  device?: string;
  /** A user name, in `user`, `viewer` or `admin`. */
  user?: string;
  /** Most entries returned (newest first). */
  limit: number;
}

type Entry = Record<string, unknown>;

function matches(e: Entry, f: AuditFilter): boolean {
  const event = typeof e.event === "string" ? e.event : "";
  if (f.kind && event !== f.kind && !event.startsWith(f.kind + ".")) return false;
  if (f.device && e.device !== f.device && e.camera !== f.device) return false;
  if (f.user && e.user !== f.user && e.viewer !== f.user && e.admin !== f.user) return false;
  return true;
}

/** Entries (oldest first, as written) → the newest `limit` matching ones, newest first. Pure. */
export function filterAudit(entries: Entry[], f: AuditFilter): Entry[] {
  const out: Entry[] = [];
  for (let i = entries.length - 1; i >= 0 && out.length < f.limit; i--) {
    if (matches(entries[i], f)) out.push(entries[i]);
  }
  return out;
}

/** Parses JSON lines; a torn first line (the tail cut it) or a bad line is skipped. Pure. */
export function parseAuditLines(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === "object" && !Array.isArray(v)) out.push(v);
    } catch {
      // a line cut by the tail, or a torn write
    }
  }
  return out;
}

/** The newest matching entries of the log file at `path` (none when it does not exist). */
export async function queryAuditFile(path: string, f: AuditFilter): Promise<Entry[]> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - MAX_TAIL_BYTES);
    await file.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let read = 0;
    while (read < buf.length) {
      const n = await file.read(buf.subarray(read));
      if (n === null) break;
      read += n;
    }
    let text = new TextDecoder().decode(buf.subarray(0, read));
    if (start > 0) text = text.slice(text.indexOf("\n") + 1);
    return filterAudit(parseAuditLines(text), f);
  } finally {
    file.close();
  }
}
