/**
 * The Debian packages behind the cluster tests. Under CI=true a missing one
 * fails the test (CI installs them in `.ci/run`); locally the test is skipped
 * with the apt command that would install it.
 *
 * @example
 * ```ts
 * Deno.test({ name: "nats", ignore: ignoreUnlessInstalled("nats"), fn: async () => {} });
 * ```
 * @module
 */
import { hasTool } from "../tools.ts";

/** Where Debian's postgresql-15 puts its server binaries (not on PATH). */
export const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Each service: its apt package and the binaries the tests run. */
export const SERVICES = {
  postgres: {
    apt: "postgresql-15",
    binaries: [`${PG_BIN}/initdb`, `${PG_BIN}/postgres`, `${PG_BIN}/psql`, `${PG_BIN}/pg_isready`],
  },
  nats: { apt: "nats-server", binaries: ["nats-server"] },
  haproxy: { apt: "haproxy", binaries: ["haproxy"] },
} as const;

/** A service of {@link SERVICES}. */
export type Service = keyof typeof SERVICES;

/** The apt packages among `services` whose binaries are missing (`setpriv` is always needed). */
export function missingPackages(
  services: readonly Service[],
  has: (binary: string) => boolean = hasTool,
): string[] {
  const missing: string[] = services.filter((s) => !SERVICES[s].binaries.every(has)).map((s) =>
    SERVICES[s].apt
  );
  if (!has("setpriv")) missing.push("util-linux");
  return missing;
}

/**
 * `true` when the test must be ignored (a package is missing, not under CI);
 * throws under CI=true so that a missing package fails the run.
 */
export function ignoreUnlessInstalled(...services: Service[]): boolean {
  const missing = missingPackages(services);
  if (missing.length === 0) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`required package(s) missing under CI: ${missing.join(", ")}`);
  }
  console.warn(`skipping: apt-get install ${missing.join(" ")}`);
  return true;
}
