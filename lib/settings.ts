/**
 * Program settings from one zod schema: every setting has its default and a
 * one-line `.describe()` there; {@linkcode settingFlag} gives it a
 * command-line flag. The same schema yields the parser (flags over an
 * optional JSON file given with `--config FILE`, unknown keys rejected), the
 * `--help` text and the README's configuration tables, so they cannot drift.
 *
 * @example
 * ```ts
 * const Schema = z.object({
 *   dataDir: settingFlag(z.string().default("./data").describe("state directory"), "data-dir", "DIR"),
 *   answerTimeoutMs: settingFlag(duration("10s").describe("wait for an answer"), "answer-timeout", "DUR"),
 * }).strict();
 * const spec = { name: "serve", synopsis: "deno task serve [options]", schema: Schema };
 * parseSettings(spec, ["--data-dir=/srv/vigil"], null).settings.answerTimeoutMs; // 10000
 * ```
 * @module
 */
import { z } from "zod";
import { type CliOptions, parseCli, UsageError } from "./cli.ts";
import { formatDuration, parseDuration } from "./duration.ts";

/** How a setting appears outside the schema's own fields. */
export interface SettingMeta {
  /** Command-line flag without the dashes, e.g. `data-dir`. */
  flag?: string;
  /** Placeholder shown in help, e.g. `DIR`; absent for a boolean switch. */
  arg?: string;
  /** The default as the docs should show it, when the schema has none to show. */
  shownDefault?: string;
}

/** Metadata of settings (a zod registry keyed by the setting's schema). */
export const settingMeta = z.registry<SettingMeta>();

/** Gives a setting a command-line flag (register it last: zod methods return new schemas). */
export function settingFlag<T extends z.ZodType>(schema: T, flag: string, arg?: string): T {
  settingMeta.add(schema, { ...settingMeta.get(schema), flag, arg });
  return schema;
}

/** Sets how the docs show the default of a setting that has no literal default. */
export function shownDefault<T extends z.ZodType>(schema: T, text: string): T {
  settingMeta.add(schema, { ...settingMeta.get(schema), shownDefault: text });
  return schema;
}

/**
 * A duration setting: `"90s"`, `"15m"`, `"24h"`, `"7d"` or a number of
 * milliseconds in; milliseconds out. Limits are durations too.
 *
 * @example
 * ```ts
 * duration("10s", { max: "5m" }).parse(undefined); // 10000
 * ```
 */
export function duration(defaultText: string, limits: { min?: string; max?: string } = {}) {
  let out = z.number().int().nonnegative();
  if (limits.min) out = out.min(parseDuration(limits.min), `must be at least ${limits.min}`);
  if (limits.max) out = out.max(parseDuration(limits.max), `must be at most ${limits.max}`);
  return z.union([z.string(), z.number()])
    .transform((v, ctx) => {
      if (typeof v === "number") return v;
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    })
    .pipe(out)
    .prefault(defaultText);
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parses a size: `123`, `500MB`, `10GiB` (decimal and binary units).
 *
 * @example
 * ```ts
 * parseByteSize("2GiB"); // 2147483648
 * ```
 */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] || "b").toLowerCase()];
  if (!m || unit === undefined) {
    throw new Error(`"${text}" is not a size (e.g. 500MB, 10GiB, or bytes)`);
  }
  return Math.round(Number(m[1]) * unit);
}

/**
 * A byte size setting written like `10GiB` or `500MB` (or a number of bytes);
 * bytes out.
 *
 * @example
 * ```ts
 * byteSize("1GiB").parse(undefined); // 1073741824
 * ```
 */
export function byteSize(defaultText: string, limits: { min?: string; max?: string } = {}) {
  let out = z.number().int().nonnegative();
  if (limits.min) out = out.min(parseByteSize(limits.min), `must be at least ${limits.min}`);
  if (limits.max) out = out.max(parseByteSize(limits.max), `must be at most ${limits.max}`);
  return z.union([z.string(), z.number()])
    .transform((v, ctx) => {
      if (typeof v === "number") return v;
      try {
        return parseByteSize(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    })
    .pipe(out)
    .prefault(defaultText);
}

/** What {@linkcode parseSettings} needs to know about a program. */
export interface SettingsSpec<S extends z.ZodObject> {
  /** Program name in messages, e.g. `serve`. */
  name: string;
  /** First lines of `--help`: how to call it and what it does. */
  synopsis: string;
  schema: S;
  /** Options of the program that are not settings (e.g. `json`), with their help lines. */
  extra?: { options: CliOptions; help: string[] };
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
}

/** One setting of a schema, with its dotted path. */
export interface SettingLeaf {
  /** Path in the config file, e.g. `["record", "dir"]`. */
  path: string[];
  schema: z.ZodType;
  meta: SettingMeta;
  description: string;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/prefault/nullable wrappers and transforms. */
function base(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if (
      d.innerType && ["optional", "default", "prefault", "nullable", "readonly"].includes(d.type)
    ) {
      s = d.innerType;
    } else if (d.type === "pipe" && d.in) s = d.in;
    else return s;
  }
}

/** Every setting of `schema`, depth first; nested objects are sections, not settings. */
export function settingLeaves(schema: z.ZodObject, prefix: string[] = []): SettingLeaf[] {
  const out: SettingLeaf[] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const inner = base(field);
    const path = [...prefix, key];
    if (defOf(inner).type === "object") {
      out.push(...settingLeaves(inner as z.ZodObject, path));
      continue;
    }
    out.push({
      path,
      schema: field,
      meta: settingMeta.get(field) ?? {},
      description: field.description ?? "",
    });
  }
  return out;
}

/** The default of a setting as the docs show it. */
export function defaultText(leaf: SettingLeaf): string {
  if (leaf.meta.shownDefault !== undefined) return leaf.meta.shownDefault;
  const d = defOf(leaf.schema) as Def & { defaultValue?: unknown };
  if (d.type !== "default" && d.type !== "prefault") return "—";
  const v = d.defaultValue;
  if (v === null || (Array.isArray(v) && v.length === 0)) return "none";
  if (typeof v === "string") return v;
  if (typeof v === "number" && defOf(base(leaf.schema)).type === "union") {
    return formatDuration(v);
  }
  return Array.isArray(v) ? v.join(", ") : JSON.stringify(v);
}

type FlagKind = "boolean" | "number" | "list" | "string";
function flagKind(schema: z.ZodType): FlagKind {
  const t = defOf(base(schema)).type;
  return t === "boolean"
    ? "boolean"
    : t === "number"
    ? "number"
    : t === "array"
    ? "list"
    : "string";
}

function flagged(schema: z.ZodObject) {
  return settingLeaves(schema).filter((l) => l.meta.flag).map((l) => ({
    ...l,
    flag: l.meta.flag!,
    kind: flagKind(l.schema),
  }));
}

/** The `--help` text: synopsis, then one line per flag with its default. */
export function usageText<S extends z.ZodObject>(spec: SettingsSpec<S>): string {
  const rows: [string, string][] = flagged(spec.schema).map((l) => {
    const shown = defaultText(l);
    const more = l.kind === "list" ? " (repeatable)" : "";
    return [
      `--${l.flag}${l.meta.arg ? ` ${l.meta.arg}` : ""}`,
      `${l.description}${more}${shown === "—" || shown === "none" ? "" : ` (default ${shown})`}`,
    ];
  });
  rows.push(["--config FILE", "JSON settings file (keys as in the README; flags win)"]);
  for (const line of spec.extra?.help ?? []) {
    const [a, ...b] = line.split(/\s{2,}/);
    rows.push([a, b.join(" ")]);
  }
  rows.push(["--print-flags", "print the deno run flags this program gets, and exit"]);
  rows.push(["--help", "this text"]);
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return `${spec.synopsis.trim()}\n\nOptions:\n${
    rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join("\n")
  }\n`;
}

/** `--config FILE` (or `--config=FILE`) from argv, before full parsing; null when absent. */
export function configPathOf(argv: string[]): string | null {
  const i = argv.indexOf("--config");
  if (i >= 0) {
    const v = argv[i + 1];
    if (!v || v.startsWith("--")) throw new UsageError("--config needs a file name");
    return v;
  }
  const eq = argv.find((a) => a.startsWith("--config="));
  if (eq === undefined) return null;
  if (eq === "--config=") throw new UsageError("--config needs a file name");
  return eq.slice("--config=".length);
}

/** Result of {@linkcode parseSettings}. */
export interface ParsedSettings<S extends z.ZodObject> {
  settings: z.output<S>;
  /** Values of the program's extra options. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  /** The `--config` file, as given (null without one). */
  configFile: string | null;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown) {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    o = o[k] = next && typeof next === "object" && !Array.isArray(next)
      ? { ...(next as Record<string, unknown>) }
      : {};
  }
  o[path.at(-1)!] = value;
}

/**
 * Parses `argv` and the config file's text (null: no file) against the
 * schema. Flags win over the file; every error is a one-line
 * {@linkcode UsageError} naming the flag or the file key. Pure.
 */
export function parseSettings<S extends z.ZodObject>(
  spec: SettingsSpec<S>,
  argv: string[],
  configText: string | null,
): ParsedSettings<S> {
  const leaves = flagged(spec.schema);
  const options: CliOptions = { config: { type: "string" }, "print-flags": { type: "boolean" } };
  for (const l of leaves) {
    options[l.flag] = l.kind === "boolean"
      ? { type: "boolean" }
      : { type: "string", multiple: l.kind === "list" };
  }
  Object.assign(options, spec.extra?.options ?? {});
  const { values, positionals } = parseCli(argv, {
    name: spec.name,
    usage: usageText(spec),
    options,
    positionals: spec.positionals,
  });
  const configFile = (values.config as string | undefined) ?? null;

  let file: Record<string, unknown> = {};
  if (configText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(configText);
    } catch (err) {
      throw new UsageError(`${configFile}: not valid JSON (${(err as Error).message})`);
    }
    if (!json || typeof json !== "object" || Array.isArray(json)) {
      throw new UsageError(`${configFile}: must be a JSON object of settings`);
    }
    file = json as Record<string, unknown>;
  }

  const merged: Record<string, unknown> = structuredClone(file);
  const fromFlag = new Map<string, string>();
  for (const l of leaves) {
    const v = values[l.flag];
    if (v === undefined) continue;
    let value: unknown = v;
    if (l.kind === "number") {
      const n = Number(v);
      if ((v as string).trim() === "" || !Number.isFinite(n)) {
        throw new UsageError(`--${l.flag} must be a number, got "${v}"`);
      }
      value = n;
    }
    setPath(merged, l.path, value);
    fromFlag.set(l.path.join("."), l.flag);
  }

  const r = spec.schema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const where = [...path, issue.keys[0]].join(".");
      throw new UsageError(`${configFile ?? "settings"}: unknown setting "${where}"`);
    }
    for (let n = path.length; n > 0; n--) {
      const flag = fromFlag.get(path.slice(0, n).join("."));
      if (flag) throw new UsageError(`--${flag}: ${issue.message}`);
    }
    const where = path.join(".") || "settings";
    throw new UsageError(
      configFile ? `${configFile}: ${where}: ${issue.message}` : `${where}: ${issue.message}`,
    );
  }
  return { settings: r.data, values, positionals, configFile };
}

/**
 * The text of the `--config` file named in `argv`, or null without one (or
 * with `--help`). A missing or unreadable file is a usage error.
 */
export async function readConfigText(argv: string[]): Promise<string | null> {
  const path = argv.includes("--help") || argv.includes("-h") ? null : configPathOf(argv);
  if (path === null) return null;
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
}

/** {@linkcode parseSettings} with the `--config` file read from disk. */
export async function readSettings<S extends z.ZodObject>(
  spec: SettingsSpec<S>,
  argv: string[],
): Promise<ParsedSettings<S>> {
  return parseSettings(spec, argv, await readConfigText(argv));
}

/** Whether a default is prose (none, or a shown default) rather than a literal value. */
function shownAsText(l: SettingLeaf): boolean {
  const text = defaultText(l);
  return l.meta.shownDefault !== undefined || text === "—" || text === "none";
}

/**
 * A markdown table of settings (`leaves` from {@linkcode settingLeaves}):
 * key, flag, default, meaning. The README's tables are this output.
 */
export function settingsTable(leaves: SettingLeaf[], keyPrefix = ""): string {
  const rows = leaves.map((l) => [
    `\`${keyPrefix}${l.path.join(".")}\``,
    l.meta.flag ? `\`--${l.meta.flag}${l.meta.arg ? ` ${l.meta.arg}` : ""}\`` : "",
    shownAsText(l) ? defaultText(l) : `\`${defaultText(l)}\``,
    l.description.replaceAll("|", "\\|"),
  ]);
  const head = ["setting", "flag", "default", "meaning"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
