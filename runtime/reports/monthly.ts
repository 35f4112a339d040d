/**
 * The monthly report (`backup.monthly-report.v1`): the weekly report's figures over a calendar
 * month, plus the same figures per backup type and per week of the month. Pure: records in,
 * event out; the history query and publishing are in runtime/jobs/report.ts's callers.
 */
import { BACKUP_TYPES, type MonthlyReport, type Status } from "../contract/events";
import type { JobRecord } from "../history/store";
import { isoInZone } from "../jobs/report";
import type { MonthPeriod } from "./periods";

interface Tallies {
  total: number;
  succeeded: number;
  warnings: number;
  failed: number;
  successRate: number;
}

export function tally(records: readonly JobRecord[]): Tallies {
  const count = (status: Status) => records.filter((r) => r.status === status).length;
  const total = records.length;
  const succeeded = count("SUCCEEDED");
  return {
    total,
    succeeded,
    warnings: count("WARNING"),
    failed: count("FAILED"),
    successRate: total === 0 ? 0 : succeeded / total,
  };
}

export function aggregateMonth(
  records: readonly JobRecord[],
  period: MonthPeriod,
  timeZone: string,
): MonthlyReport {
  const inMonth = records.filter((r) => {
    const at = Date.parse(r.finishedAt);
    return at >= period.start.getTime() && at < period.end.getTime();
  });
  const durations = inMonth.reduce((sum, r) => sum + r.durationSeconds, 0);
  const failedJobs = inMonth
    .filter((r) => r.status === "FAILED")
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt))
    .map((r) => ({ type: r.type, resource: r.resource, jobId: r.jobId }));
  return {
    schema: "backup.monthly-report.v1",
    reportId: `monthly-${period.month}`,
    month: period.month,
    periodStart: isoInZone(period.start, timeZone),
    periodEnd: isoInZone(period.end, timeZone),
    ...tally(inMonth),
    averageDurationSeconds: inMonth.length === 0 ? 0 : Math.round(durations / inMonth.length),
    failedJobs,
    // Only the types that ran: a type without runs has no rate to report.
    byType: BACKUP_TYPES.flatMap((type) => {
      const ofType = inMonth.filter((r) => r.type === type);
      return ofType.length === 0 ? [] : [{ type, ...tally(ofType) }];
    }),
    weeks: period.weeks.map((week) => ({
      weekLabel: week.label,
      ...tally(
        inMonth.filter((r) => {
          const at = Date.parse(r.finishedAt);
          return at >= week.start.getTime() && at < week.end.getTime();
        }),
      ),
    })),
  };
}
