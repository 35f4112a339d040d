/**
 * `drox-backup report weekly [--week DATE] [--chart FILE]` and
 * `drox-backup report monthly [--month YYYY-MM] [--chart FILE]`: build a report from the history
 * and publish it (backup.report.v1, backup.monthly-report.v1). DATE is the weekly report's date
 * (YYYY-MM-DD, display time zone; it covers the seven days before); the monthly report covers a
 * calendar month, by default the one before today. `--chart` also writes the report's picture as
 * a PNG, the one Notion (and Slack in bot mode) show.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { MonthlyReport, WeeklyReport } from "../contract/events";
import type { JobDeps } from "../jobs/context";
import type { Built } from "../reports";
import { monthLabel } from "../reports/labels";
import { cliLogger, type CliIo } from "./io";

/** The jobs, loaded when a report is built (CommonJS, see cli.ts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const jobs = () => require("../jobs") as typeof import("../jobs/index.js");
/** The report builders and their chart renderer (Vega, resvg), loaded when a report is built. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const reports = () => require("../reports") as typeof import("../reports/index.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const uploads = () => require("../reports/upload") as typeof import("../reports/upload.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const jobContext = () => require("../jobs/context") as typeof import("../jobs/context.js");
/** The settings declaration (zod) and the week arithmetic, loaded when a report is built. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const settings = () => require("../settings/read") as typeof import("../settings/read.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
const weeks = () => require("../jobs/report") as typeof import("../jobs/report.js");

function parseDate(value: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError("must be a date YYYY-MM-DD, e.g. 2024-11-03");
  }
  return value;
}

function parseMonth(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw new InvalidArgumentError("must be a month YYYY-MM, e.g. 2024-11");
  return value;
}

interface CommonOptions {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly chart?: string;
}

/** DISPLAY_TIME_ZONE through the settings declaration (checked there, named in its error). */
function displayZone(io: CliIo): string {
  return settings().readSetting(io.env, "displayTimeZone");
}

/** Writes the chart if asked, publishes unless --dry-run, and returns the report as published. */
async function finish<R extends WeeklyReport | MonthlyReport>(
  built: Built<R>,
  deps: JobDeps,
  opts: CommonOptions,
  io: CliIo,
): Promise<R> {
  if (opts.chart) {
    const file = resolve(opts.chart);
    await writeFile(file, await reports().renderReportChart(built));
    io.err(`chart written to ${file}`);
  }
  if (opts.dryRun) return built.report;
  return reports().publishWithChart(deps, built, await uploads().outletsFromEnv(io.env));
}

function summary(report: WeeklyReport | MonthlyReport): string {
  const label = report.schema === "backup.report.v1" ? report.weekLabel : monthLabel(report.month);
  return `${label} ${report.periodStart} – ${report.periodEnd}: ${report.total} runs, ${report.succeeded} succeeded, ${report.warnings} warnings, ${report.failed} failed, success rate ${(report.successRate * 100).toFixed(1)}%, average ${report.averageDurationSeconds} s`;
}

function print(report: WeeklyReport | MonthlyReport, opts: CommonOptions, io: CliIo): void {
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2));
    return;
  }
  io.out(`${summary(report)}${opts.dryRun ? " (not published)" : ""}`);
  for (const job of report.failedJobs) io.out(`  FAILED ${job.type}: ${job.resource} (job ${job.jobId})`);
}

export function registerReportCommand(program: Command, io: CliIo): void {
  const report = program.command("report").description("reports built from the job history");
  report
    .command("weekly")
    .description("aggregate the seven days before the report's date and publish the weekly report")
    .option("--week <date>", "the report's date, YYYY-MM-DD in DISPLAY_TIME_ZONE (default: today)", parseDate)
    .option("--chart <file>", "also write the chart of the last 8 weeks to this PNG file")
    .option("--dry-run", "print the report without publishing it")
    .option("--json", "print the report as JSON")
    .action(async (opts: CommonOptions & { week?: string }) => {
      const zone = displayZone(io);
      const deps = jobContext().createJobDeps({ logger: cliLogger() }, io.env);
      const at = opts.week ? weeks().startOfDay(opts.week, zone) : undefined;
      const built = await jobs().buildWeeklyWithDrills({ at }, deps);
      print(await finish(built, deps, opts, io), opts, io);
    });
  report
    .command("monthly")
    .description("aggregate a calendar month and publish the monthly report")
    .option("--month <month>", "YYYY-MM in DISPLAY_TIME_ZONE (default: the month before today)", parseMonth)
    .option("--chart <file>", "also write the month's chart (week by week, per backup type) to this PNG file")
    .option("--dry-run", "print the report without publishing it")
    .option("--json", "print the report as JSON")
    .action(async (opts: CommonOptions & { month?: string }) => {
      displayZone(io);
      const deps = jobContext().createJobDeps({ logger: cliLogger() }, io.env);
      print(await finish(await reports().buildMonthly(deps, opts.month), deps, opts, io), opts, io);
    });
}
