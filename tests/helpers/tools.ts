/**
 * External tools for tests: under CI=true a missing tool is a failure;
 * locally the test is skipped with a printed reason.
 * @module
 */

/** Whether an executable is on PATH (or at an absolute path). */
export function hasTool(name: string): boolean {
  try {
    const r = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * Returns `true` when the test must be ignored (tool missing, not in CI);
 * throws under CI so that a missing tool fails the run instead of hiding it.
 */
export function ignoreWithout(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`required tool(s) missing under CI: ${missing.join(", ")}`);
  }
  console.warn(
    `skipping: ${missing.join(", ")} not installed (apt-get install ${missing.join(" ")})`,
  );
  return true;
}
