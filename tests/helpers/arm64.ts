/**
 * The arm64 (aarch64) runtime for tests on an x86 host without binfmt_misc:
 * Deno's own arm64 Linux build from npm (`@deno/linux-arm64-glibc`, the same
 * version as this Deno, integrity pinned), a minimal arm64 sysroot with just
 * the shared libraries Deno links (Debian's `libc6` and `libgcc-s1`, fetched
 * with apt from a private state directory, so the host's apt configuration is
 * untouched and the archive signatures are checked), and a `deno` wrapper
 * that runs it under `qemu-aarch64-static -L <sysroot>`.
 *
 * Cached outside the repository (`$VIGIL_ARM64_CACHE`, else
 * /var/cache/vigil-arm64 when writable, else ~/.cache/vigil-arm64): Deno by
 * its version, the sysroot by the Debian suite (the C library's ABI; the
 * exact package versions are recorded in its `versions.json`), so a warm
 * cache needs no network at all.
 *
 * ```ts
 * const rt = await prepareArm64Runtime({ log: console.log });
 * await new Deno.Command(rt.wrapper, { args: ["eval", "console.log(Deno.build.arch)"], env: rt.env }).output();
 * ```
 * @module
 */
import { join } from "node:path";

/** The npm package of Deno's arm64 Linux build, pinned like deno.lock pins the rest. */
export const ARM64_DENO = {
  name: "@deno/linux-arm64-glibc",
  version: "2.9.6",
  integrity:
    "sha512-poqhoH9B3nYloigEMPT5t8HY+wBeiuea1An5Q7fqgJzP0SYmWsoS/oUnWO/pEiA4ofzIBy1Elt/in58xKtxEoQ==",
} as const;

/** What Deno links (`ldd deno`: libc, libm, libdl, librt, libpthread, libgcc_s). */
export const SYSROOT_PACKAGES = ["libc6", "libgcc-s1"] as const;
export const SYSROOT_SUITE = "bookworm";
export const QEMU_AARCH64 = "qemu-aarch64-static";
/** The Debian archive key that signs the suites below (package debian-archive-keyring). */
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** ELF `e_machine` of an executable's first bytes: "aarch64", "x86_64", or the number. */
export function elfMachine(header: Uint8Array): string | null {
  if (
    header.length < 20 || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c ||
    header[3] !== 0x46
  ) return null;
  const little = header[5] === 1;
  const m = little ? header[18] | (header[19] << 8) : (header[18] << 8) | header[19];
  return m === 183 ? "aarch64" : m === 62 ? "x86_64" : `machine ${m}`;
}

/** Subresource-integrity string (`sha512-<base64>`) of `bytes`, as npm records it. */
export async function sha512Integrity(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  return `sha512-${btoa(String.fromCharCode(...d))}`;
}

/** A POSIX shell word for `s`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The `deno` wrapper: runs the arm64 Deno under qemu user-mode emulation with the sysroot. */
export function wrapperScript(qemu: string, sysroot: string, deno: string): string {
  return `#!/bin/sh\n# arm64 Deno under qemu user-mode emulation (tests/helpers/arm64.ts)\n` +
    `exec ${shellQuote(qemu)} -L ${shellQuote(sysroot)} ${shellQuote(deno)} "$@"\n`;
}

/** apt options for a private state in `dir` that sees only arm64 packages of `suite`. */
export function privateAptOptions(dir: string): string[] {
  return [
    "APT::Architecture=arm64",
    "APT::Architectures::=arm64",
    `Dir::State=${join(dir, "state")}`,
    `Dir::State::Lists=${join(dir, "lists")}`,
    `Dir::State::status=${join(dir, "status")}`,
    `Dir::Cache=${join(dir, "cache")}`,
    `Dir::Etc::SourceList=${join(dir, "sources.list")}`,
    `Dir::Etc::SourceParts=${join(dir, "sources.list.d")}`,
    `Dir::Etc::Preferences=${join(dir, "preferences")}`,
    `Dir::Etc::PreferencesParts=${join(dir, "preferences.d")}`,
    "Debug::NoLocking=1",
  ].flatMap((o) => ["-o", o]);
}

/** The private apt source list: the suite and its security updates, signatures checked. */
export function sourcesList(suite: string): string {
  const signed = `[arch=arm64 signed-by=${DEBIAN_KEYRING}]`;
  return `deb ${signed} http://deb.debian.org/debian ${suite} main\n` +
    `deb ${signed} http://deb.debian.org/debian-security ${suite}-security main\n`;
}

/** Where the runtime is cached (see the module doc); `writable` probes a directory. */
export function cacheRoot(
  env: (k: string) => string | undefined,
  writable: (dir: string) => boolean,
): string {
  const own = env("VIGIL_ARM64_CACHE");
  if (own) return own;
  if (writable("/var/cache")) return "/var/cache/vigil-arm64";
  return join(env("HOME") ?? "/tmp", ".cache", "vigil-arm64");
}

function isWritable(dir: string): boolean {
  try {
    const probe = Deno.makeTempFileSync({ dir, prefix: ".vigil-probe-" });
    Deno.removeSync(probe);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.slice(0, 3).join(" ")}…: ${new TextDecoder().decode(out.stderr).slice(-600)}`,
    );
  }
  return text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Builds `final` in a fresh temp dir next to it, then renames it into place (atomic). */
async function buildOnce(final: string, build: (tmp: string) => Promise<void>): Promise<void> {
  if (await exists(final)) return;
  const parent = join(final, "..");
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".building-" });
  try {
    await build(tmp);
    await Deno.chmod(tmp, 0o755);
    try {
      await Deno.rename(tmp, final);
    } catch (error) {
      if (!(await exists(final))) throw error; // else another run won the race
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The prepared runtime. */
export interface Arm64Runtime {
  /** The arm64 `deno` executable (an ELF for aarch64). */
  deno: string;
  /** The arm64 sysroot given to qemu with `-L`. */
  sysroot: string;
  /** Directory holding the `deno` wrapper: put it first on PATH so launchers start arm64 children. */
  binDir: string;
  /** `binDir/deno`. */
  wrapper: string;
  /** Environment for arm64 runs: PATH with the wrapper first, the arm64 DENO_DIR. */
  env: Record<string, string>;
  /** Exact package versions in the sysroot. */
  versions: Record<string, string>;
}

/** Fetches (once) and returns the arm64 runtime; `log` reports what it downloads. */
export async function prepareArm64Runtime(
  o: { root?: string; log?: (m: string) => void } = {},
): Promise<Arm64Runtime> {
  const log = o.log ?? (() => {});
  const root = o.root ?? cacheRoot((k) => Deno.env.get(k), isWritable);
  if (Deno.version.deno !== ARM64_DENO.version) {
    throw new Error(
      `this is Deno ${Deno.version.deno}; tests/helpers/arm64.ts pins the arm64 build of ${ARM64_DENO.version}`,
    );
  }
  const denoDir = join(root, `deno-${ARM64_DENO.version}`);
  await buildOnce(denoDir, async (tmp) => {
    log(`fetching ${ARM64_DENO.name}@${ARM64_DENO.version} from npm…`);
    const name = (await run("npm", [
      "pack",
      `${ARM64_DENO.name}@${ARM64_DENO.version}`,
      "--pack-destination",
      tmp,
      "--silent",
    ])).trim().split("\n").pop()!;
    const tgz = join(tmp, name);
    const integrity = await sha512Integrity(await Deno.readFile(tgz));
    if (integrity !== ARM64_DENO.integrity) {
      throw new Error(`${ARM64_DENO.name}: integrity ${integrity} is not the pinned one`);
    }
    await run("tar", ["-xzf", tgz, "-C", tmp, "package/deno"]);
    await Deno.rename(join(tmp, "package", "deno"), join(tmp, "deno"));
    await Deno.remove(join(tmp, "package"), { recursive: true });
    await Deno.remove(tgz);
  });
  const sysroot = join(root, `sysroot-${SYSROOT_SUITE}-arm64`);
  await buildOnce(sysroot, async (tmp) => {
    log(
      `fetching arm64 ${SYSROOT_PACKAGES.join(", ")} (${SYSROOT_SUITE}) with a private apt state…`,
    );
    const apt = join(tmp, ".apt");
    for (
      const d of [
        "state",
        "lists/partial",
        "cache/archives/partial",
        "sources.list.d",
        "preferences.d",
        "debs",
      ]
    ) {
      await Deno.mkdir(join(apt, d), { recursive: true });
    }
    await Deno.writeTextFile(join(apt, "status"), "");
    await Deno.writeTextFile(join(apt, "sources.list"), sourcesList(SYSROOT_SUITE));
    const opts = privateAptOptions(apt);
    await run("apt-get", [...opts, "-qq", "update"]);
    await run("apt-get", [...opts, "-qq", "download", ...SYSROOT_PACKAGES], join(apt, "debs"));
    const versions: Record<string, string> = {};
    for (const e of Deno.readDirSync(join(apt, "debs"))) {
      const deb = join(apt, "debs", e.name);
      const [pkg, version] = (await run("dpkg-deb", ["-f", deb, "Package", "Version"]))
        .trim().split("\n").map((l) => l.replace(/^\w+: /, ""));
      versions[pkg] = version;
      await run("dpkg-deb", ["-x", deb, tmp]);
    }
    await Deno.remove(apt, { recursive: true });
    await Deno.writeTextFile(join(tmp, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
  });
  const binDir = join(root, `bin-${ARM64_DENO.version}`);
  const deno = join(denoDir, "deno");
  const qemu = (await run("sh", ["-c", `command -v ${QEMU_AARCH64}`])).trim();
  const wrapper = join(binDir, "deno");
  const script = wrapperScript(qemu, sysroot, deno);
  await Deno.mkdir(binDir, { recursive: true });
  if ((await Deno.readTextFile(wrapper).catch(() => "")) !== script) {
    const tmp = `${wrapper}.${crypto.randomUUID()}`;
    await Deno.writeTextFile(tmp, script, { mode: 0o755 });
    await Deno.rename(tmp, wrapper);
  }
  return {
    deno,
    sysroot,
    binDir,
    wrapper,
    env: {
      PATH: `${binDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      // Its own npm cache and code cache: arm64's differ (e.g. esbuild's binary package).
      DENO_DIR: join(root, `deno-dir-${ARM64_DENO.version}`),
    },
    versions: JSON.parse(await Deno.readTextFile(join(sysroot, "versions.json"))),
  };
}
