/**
 * `drox-backup report weekly [--week DATE]`: builds the weekly report from the history and
 * publishes it (backup.report.v1). DATE is the report's date (YYYY-MM-DD, display time zone);
 * the report covers the seven days before it.
 */
import { InvalidArgumentError, type Command } from "commander";
import { buildWeeklyReport, sendWeeklyReport } from "../jobs";
import { startOfDay } from "../jobs/report";
import { readSetting } from "../settings/read";
import { cliLogger, type CliIo } from "./io";

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

export function registerReportCommand(program: Command, io: CliIo): void {
  const report = program.command("report").description("reports built from the job history");
  report
    .command("weekly")
    .description("aggregate the seven days before the report's date and publish the weekly report")
    .option("--week <date>", "the report's date, YYYY-MM-DD in DISPLAY_TIME_ZONE (default: today)", parseDate)
    .option("--dry-run", "print the report without publishing it")
    .option("--json", "print the report as JSON")
    .action(async (opts: { week?: string; dryRun?: boolean; json?: boolean }) => {
      const zone = readSetting(io.env, "displayTimeZone");
      const at = opts.week ? startOfDay(opts.week, zone) : undefined;
      const deps = { logger: cliLogger() };
      const result = opts.dryRun
        ? await buildWeeklyReport({ at }, deps)
        : await sendWeeklyReport({ at }, deps);
      if (opts.json) {
        io.out(JSON.stringify(result, null, 2));
      } else {
        io.out(
          `${result.weekLabel} ${result.periodStart} – ${result.periodEnd}: ${result.total} runs, ${result.succeeded} succeeded, ${result.warnings} warnings, ${result.failed} failed, success rate ${(result.successRate * 100).toFixed(1)}%, average ${result.averageDurationSeconds} s${opts.dryRun ? " (not published)" : ""}`,
        );
        for (const job of result.failedJobs)
          io.out(`  FAILED ${job.type}: ${job.resource} (job ${job.jobId})`);
      }
    });
}
