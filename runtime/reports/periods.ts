/**
 * The periods a report's chart and breakdowns are cut into, in the display time zone: the last
 * weeks up to the weekly report's own week, and a calendar month with its weeks counted as Notion's
 * Week property counts them (`N주차`, N = ceil(day of month / 7), so days 29–31 are 5주차).
 */
import { formatDate } from "../contract/time";
import { MAX_TREND_WEEKS } from "../contract/events";
import { startOfDay, type WeekPeriod } from "../jobs/report";
import type { ChartBucket } from "./chart";
import { monthLabel } from "./labels";

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The `count` weeks that end with the report's week, oldest first, labelled by their first day (MM/DD). */
export function trendWeeks(
  period: WeekPeriod,
  timeZone: string,
  count: number = MAX_TREND_WEEKS,
): ChartBucket[] {
  const buckets: ChartBucket[] = [];
  for (let i = count; i >= 1; i--) {
    const first = addDays(period.reportDate, -7 * i);
    buckets.push({
      label: `${first.slice(5, 7)}/${first.slice(8, 10)}`,
      start: startOfDay(first, timeZone),
      end: startOfDay(addDays(first, 7), timeZone),
    });
  }
  return buckets;
}

export interface MonthPeriod {
  /** `YYYY-MM`. */
  readonly month: string;
  /** `2024년 11월`. */
  readonly label: string;
  readonly start: Date;
  readonly end: Date;
  /** 1주차 … 4주차 or 5주차 (February of a common year has no 5주차). */
  readonly weeks: readonly ChartBucket[];
}

function daysIn(month: string): number {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function monthPeriod(month: string, timeZone: string): MonthPeriod {
  const days = daysIn(month);
  const first = `${month}-01`;
  const weeks: ChartBucket[] = [];
  for (let week = 1; (week - 1) * 7 < days; week++) {
    const from = 1 + (week - 1) * 7;
    const to = Math.min(days, week * 7);
    weeks.push({
      label: `${week}주차`,
      start: startOfDay(addDays(first, from - 1), timeZone),
      end: startOfDay(addDays(first, to), timeZone),
    });
  }
  return {
    month,
    label: monthLabel(month),
    start: startOfDay(first, timeZone),
    end: startOfDay(addDays(first, days), timeZone),
    weeks,
  };
}

/** The month before the one `at` falls in (the schedule on the 1st reports the month just ended). */
export function previousMonth(at: Date, timeZone: string): string {
  const today = formatDate(at, timeZone);
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}
