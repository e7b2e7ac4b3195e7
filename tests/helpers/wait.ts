/**
 * Polling for tests: wait until a condition holds, or fail saying what was
 * awaited.
 *
 * @example
 * ```ts
 * await waitUntil(() => server.ctx.presence.get("door")?.online === true);
 * ```
 * @module
 */

/** Polls `check` every 20 ms until it is true; throws after `ms`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "the condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
