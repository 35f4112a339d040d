/**
 * Reports with their picture: the weekly report (the seven days before its date) and the monthly
 * report (a calendar month), each built from the history in the display time zone, drawn as a
 * chart (./chart.ts), the chart uploaded where it can go (./upload.ts), then published. The
 * weekly report also carries the last weeks' success rates, which webhook-mode Slack shows as a
 * sparkline since an incoming webhook posts no file.
 */
import type { MonthlyReport, WeeklyReport } from "../contract/events";
import type { JobDeps } from "../jobs/context";
import { aggregateWeek, recordsIn, weekPeriod } from "../jobs/report";
import { type ChartData, chartData, renderChartPng } from "./chart";
import { monthLabel } from "./labels";
import { aggregateMonth, tally } from "./monthly";
import { monthPeriod, previousMonth, trendWeeks } from "./periods";
import { type ChartUploader, type SlackFileUploader, outletsFromEnv } from "./upload";

export type ReportDeps = Pick<JobDeps, "settings" | "history" | "publisher" | "logger" | "now">;

export interface Built<R> {
  readonly report: R;
  readonly chart: ChartData;
  readonly title: string;
}

/** The weekly report of the week before `at`'s date, with the chart's last 8 weeks. */
export async function buildWeekly(deps: ReportDeps, at?: Date): Promise<Built<WeeklyReport>> {
  const zone = deps.settings.displayTimeZone;
  const period = weekPeriod(at ?? deps.now(), zone);
  const weeks = trendWeeks(period, zone);
  // One query for the 8 weeks; the report's own week is the last of them.
  const first = weeks[0];
  const records = await recordsIn(deps.history, {
    reportDate: period.reportDate,
    start: first ? first.start : period.start,
    end: period.end,
  });
  const own = records.filter((r) => Date.parse(r.finishedAt) >= period.start.getTime());
  const recentSuccessRates = weeks.map((week) => {
    const t = tally(
      records.filter((r) => {
        const finished = Date.parse(r.finishedAt);
        return finished >= week.start.getTime() && finished < week.end.getTime();
      }),
    );
    return t.total === 0 ? null : t.successRate;
  });
  return {
    report: { ...aggregateWeek(own, period, zone), recentSuccessRates },
    chart: chartData(records, weeks),
    title: `최근 ${weeks.length}주 백업`,
  };
}

/** The monthly report of `month` (`YYYY-MM`; default: the month before `now`'s). */
export async function buildMonthly(deps: ReportDeps, month?: string): Promise<Built<MonthlyReport>> {
  const zone = deps.settings.displayTimeZone;
  const period = monthPeriod(month ?? previousMonth(deps.now(), zone), zone);
  const records = await recordsIn(deps.history, {
    reportDate: period.month,
    start: period.start,
    end: period.end,
  });
  return {
    report: aggregateMonth(records, period, zone),
    chart: chartData(records, period.weeks),
    title: `${monthLabel(period.month)} 백업`,
  };
}

export function renderReportChart(built: Built<WeeklyReport | MonthlyReport>): Promise<Buffer> {
  return renderChartPng(built.chart, built.title);
}

export interface Outlets {
  /** Notion, when the task has its token: the page then shows the chart. */
  readonly notion?: ChartUploader;
  /** Slack bot mode: the picture in the reports channel. */
  readonly slack?: SlackFileUploader;
}

/**
 * Renders the chart, hands it to the outlets there are, and publishes the report. A chart that
 * cannot be drawn or uploaded is logged and the report goes out without it: the figures are the
 * report, the picture is a view of them.
 */
export async function publishWithChart<R extends WeeklyReport | MonthlyReport>(
  deps: ReportDeps,
  built: Built<R>,
  outlets: Outlets,
): Promise<R> {
  let report = built.report;
  if (outlets.notion || outlets.slack) {
    const filename = `${report.reportId}.png`;
    try {
      const png = await renderReportChart(built);
      if (outlets.notion) {
        const notionFileUploadId = await outlets.notion.upload(png, filename);
        report = { ...report, chart: { notionFileUploadId } };
      }
      if (outlets.slack)
        await outlets.slack.uploadFile({ channel: "reports", filename, title: built.title, data: png });
    } catch (error) {
      deps.logger.warn(
        { reportId: report.reportId, err: error instanceof Error ? error.message : String(error) },
        "report chart not delivered; publishing the report without it",
      );
    }
  }
  await deps.publisher.publish(report);
  return report;
}

/**
 * Builds and publishes the monthly report (the schedule on the 1st, the CLI, the HTTP API), the
 * chart to Notion when the environment has its token.
 */
export async function sendMonthlyReport(
  deps: ReportDeps,
  month?: string,
  outlets?: Outlets,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MonthlyReport> {
  const resolved = outlets ?? (await outletsFromEnv(env));
  return publishWithChart(deps, await buildMonthly(deps, month), resolved);
}
