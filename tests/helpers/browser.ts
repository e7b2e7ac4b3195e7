/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
 * Never downloads a browser.
 * @module
 */
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches Chromium with the flags this sandbox needs and a fresh profile.
 * `executablePath` may name a wrapper that execs Debian's Chromium (e.g.
 * inside a network namespace).
 */
export function launchChromium(
  extraArgs: string[] = [],
  o: { executablePath?: string } = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: o.executablePath ?? CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      ...extraArgs,
    ],
  });
}
