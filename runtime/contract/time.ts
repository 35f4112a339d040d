/**
 * Dates as the team reads them: in the display time zone (default Asia/Seoul), the seed's
 * `YYYY-MM-DD HH:mm:ss`, and the week label `N주차` (N = ceil(day of month / 7)).
 */
export const DEFAULT_TIME_ZONE = "Asia/Seoul";

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(instant: Date | string, timeZone: string): Parts {
  // Stryker disable next-line ConditionalExpression: new Date(aDate) is a copy of it, equivalent
  const date = typeof instant === "string" ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date");
  let formatter = formatters.get(timeZone);
  // The memo fills in the first test run, before Stryker activates any mutant, and mutants never
  // reload the module: a mutant in this branch (or dropping the memo) is invisible to a re-run. The
  // format specs pin these options on first use in every fresh process.
  // Stryker disable all: built once per process, before any mutant is active (see above)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  // Stryker restore all
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(date)) parts[part.type] = part.value;
  return parts as unknown as Parts;
}

/** `2024-11-04 02:00:00` in the given zone. */
export function formatDateTime(instant: Date | string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const p = partsIn(instant, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `2024-11-04` in the given zone. */
export function formatDate(instant: Date | string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const p = partsIn(instant, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `N주차` for a calendar date `YYYY-MM-DD` (or an instant, read in the zone). */
export function weekLabel(date: Date | string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const day =
    typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date)
      ? Number(date.slice(8, 10))
      : Number(partsIn(date, timeZone).day);
  return `${Math.ceil(day / 7)}주차`;
}

/** `45초`, `1분 23초`, `2시간 5분 3초`: whole seconds, rounded. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}시간`);
  if (minutes > 0) parts.push(`${minutes}분`);
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}초`);
  return parts.join(" ");
}
