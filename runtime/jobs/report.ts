/**
 * The weekly report. Its period is the seven calendar days before the report's date in the
 * display time zone: for a report dated Sunday 2024-11-03 (Asia/Seoul) that is
 * [2024-10-27 00:00, 2024-11-03 00:00) KST. The report's date is the day `at` falls on in that
 * zone, so the Sunday schedule at any hour reports the week just ended, Sunday to Saturday.
 */
import type { FailedJob, WeeklyReport } from "../contract/events";
import type { HistoryStore, JobRecord } from "../history/store";
import { formatDate, formatDateTime, weekLabel } from "../contract/time";

export interface WeekPeriod {
  /** The report's date, `YYYY-MM-DD` in the zone. */
  readonly reportDate: string;
  readonly start: Date;
  readonly end: Date;
}

function offsetMs(instant: Date, timeZone: string): number {
  const wall = formatDateTime(instant, timeZone).replace(" ", "T") + "Z";
  return Date.parse(wall) - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant a calendar day starts in the zone (DST-safe: the offset is re-read at the result). */
export function startOfDay(date: string, timeZone: string): Date {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  let guess = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  guess = utcMidnight - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function weekPeriod(at: Date, timeZone: string): WeekPeriod {
  const reportDate = formatDate(at, timeZone);
  return {
    reportDate,
    start: startOfDay(addDays(reportDate, -7), timeZone),
    end: startOfDay(reportDate, timeZone),
  };
}

/** ISO 8601 with the zone's offset, e.g. 2024-11-03T00:00:00+09:00, as people in that zone read it. */
export function isoInZone(instant: Date, timeZone: string): string {
  const offset = Math.round(offsetMs(instant, timeZone) / 60_000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${formatDateTime(instant, timeZone).replace(" ", "T")}${sign}${hh}:${mm}`;
}

/** Pure aggregation: totals, success rate (SUCCEEDED / total; 0 for an empty week), average duration. */
export function aggregateWeek(
  records: readonly JobRecord[],
  period: WeekPeriod,
  timeZone: string,
): WeeklyReport {
  const total = records.length;
  const succeeded = records.filter((r) => r.status === "SUCCEEDED").length;
  const warnings = records.filter((r) => r.status === "WARNING").length;
  const failedRecords = records
    .filter((r) => r.status === "FAILED")
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const failedJobs: FailedJob[] = failedRecords.map((r) => ({
    type: r.type,
    resource: r.resource,
    jobId: r.jobId,
  }));
  const durations = records.reduce((sum, r) => sum + r.durationSeconds, 0);
  return {
    schema: "backup.report.v1",
    reportId: `weekly-${period.reportDate}`,
    periodStart: isoInZone(period.start, timeZone),
    periodEnd: isoInZone(period.end, timeZone),
    weekLabel: weekLabel(period.reportDate),
    total,
    succeeded,
    warnings,
    failed: failedRecords.length,
    successRate: total === 0 ? 0 : succeeded / total,
    averageDurationSeconds: total === 0 ? 0 : Math.round(durations / total),
    failedJobs,
  };
}

/** Every record of the period, through the history's paginated time-range query. */
export async function recordsIn(history: HistoryStore, period: WeekPeriod): Promise<JobRecord[]> {
  const records: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await history.list({
      from: period.start.toISOString(),
      to: period.end.toISOString(),
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    records.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return records;
}
