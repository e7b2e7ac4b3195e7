/**
 * Test support for the PKI tests (not exported from mod.ts): running openssl
 * as an independent verifier, and temporary directories.
 *
 * openssl is required under CI (CI=true): there a missing openssl fails the
 * tests that need it. Locally those tests are skipped with a printed reason.
 */
import { createRootCa, loadCa } from "./ca.ts";
import type { CaBundle } from "./ca.ts";

/** Output of one openssl run. */
export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

const OPENSSL = "openssl";

async function probeOpenssl(): Promise<string | null> {
  try {
    const out = await new Deno.Command(OPENSSL, {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success ? null : "`openssl version` failed";
  } catch (err) {
    return `cannot run openssl (${(err as Error).name}: ${(err as Error).message})`;
  }
}

function runningUnderCi(): boolean {
  try {
    return Deno.env.get("CI") === "true";
  } catch {
    return false; // no env permission: treat as a local run
  }
}

const opensslProblem = await probeOpenssl();
const underCi = runningUnderCi();

/** Whether openssl-backed tests are skipped (openssl missing, not under CI). */
export const skipOpenssl = opensslProblem !== null && !underCi;

if (skipOpenssl) console.warn(`skipping openssl-backed PKI tests: ${opensslProblem}`);

/**
 * Registers a test that needs openssl: skipped locally when it's missing,
 * failing under CI.
 *
 * @example
 * ```ts
 * opensslTest("CA verifies", async (t) => { ... });
 * ```
 */
export function opensslTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({
    name,
    ignore: skipOpenssl,
    fn: async (t) => {
      if (opensslProblem) throw new Error(`openssl is required when CI=true: ${opensslProblem}`);
      await fn(t);
    },
  });
}

/**
 * Runs openssl with `args` (and `stdin`), returning exit code and output.
 *
 * @example
 * ```ts
 * const { code } = await openssl(["verify", "-CAfile", caPath, certPath]);
 * ```
 */
export async function openssl(args: string[], stdin?: string): Promise<OpensslResult> {
  const child = new Deno.Command(OPENSSL, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Like {@link openssl} but throws with openssl's stderr unless it exits 0.
 *
 * @example
 * ```ts
 * const text = await opensslOk(["x509", "-in", path, "-noout", "-text"]);
 * ```
 */
export async function opensslOk(args: string[], stdin?: string): Promise<string> {
  const res = await openssl(args, stdin);
  if (res.code !== 0) {
    throw new Error(`openssl ${args.join(" ")} exited ${res.code}: ${res.stderr}${res.stdout}`);
  }
  return res.stdout;
}

/**
 * Runs `fn` with a fresh temporary directory, removed afterwards.
 *
 * @example
 * ```ts
 * await withTempDir(async (dir) => await Deno.writeTextFile(`${dir}/a`, "x"));
 * ```
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-pki-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A fresh root CA, loaded, with its PEMs.
 *
 * @example
 * ```ts
 * const { ca, certPem } = await newCa();
 * ```
 */
export async function newCa(
  commonName = "vigil test CA",
): Promise<{ ca: CaBundle; certPem: string; keyPem: string }> {
  const { certPem, keyPem } = await createRootCa({ commonName });
  return { ca: await loadCa(certPem, keyPem), certPem, keyPem };
}
