/** Pure time formatting for the "since" labels (unit-tested). */

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "just now", "5 min ago", "3 hr ago", "2 days ago" (locale-formatted). */
export function relativeTime(thenMs: number, nowMs: number, locale?: string): string {
  const diff = nowMs - thenMs;
  if (diff < 45_000) return "just now";
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "short" });
  for (const [unit, ms] of UNITS) {
    if (diff >= ms || unit === "minute") {
      return rtf.format(-Math.max(1, Math.round(diff / ms)), unit);
    }
  }
  return "just now";
}

/** Clock time if the same day, else a short date + time. */
export function absoluteTime(thenMs: number, nowMs: number, locale?: string): string {
  const then = new Date(thenMs);
  const now = new Date(nowMs);
  const sameDay = then.toDateString() === now.toDateString();
  return sameDay
    ? then.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" })
    : then.toLocaleString(locale, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
}

/** "Online since 10:32 (5 min ago)" / "Offline since …" / "Online". */
export function sinceLabel(online: boolean, since: number | null, nowMs: number): string {
  const state = online ? "Online" : "Offline";
  if (since === null || since > nowMs + 60_000) return state;
  return `${state} since ${absoluteTime(since, nowMs)} (${relativeTime(since, nowMs)})`;
}
