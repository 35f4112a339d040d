/**
 * `drox-backup run ebs|rds|s3|all [--resource ID…]`: runs backups, prints one line per resource,
 * exits 0 / 3 / 1 for all SUCCEEDED / some WARNING / some FAILED.
 *
 * ECS stops a task with SIGTERM and kills it after its stop timeout: on SIGTERM (or Ctrl-C) the
 * run is aborted, so what did not finish is recorded and published as FAILED (aborted) instead of
 * vanishing with the process. A second signal kills at once, as usual.
 */
import { Argument, type Command } from "commander";
import type { BackupResult } from "../contract/events";
import type { RunType } from "../jobs";
import { formatDuration } from "../contract/time";
import { cliLogger, exitCodeFor, type CliIo } from "./io";
import { createProgress } from "./progress";

export const CLI_TYPES = ["ebs", "rds", "s3", "all"] as const;

export function describeResult(r: BackupResult): string {
  const parts = [r.status.padEnd(9), r.type.padEnd(3), r.resource];
  if (r.metrics?.snapshotId) parts.push(`snapshot ${r.metrics.snapshotId}`);
  if (r.metrics?.copySnapshotId) parts.push(`copy ${r.metrics.copyRegion}/${r.metrics.copySnapshotId}`);
  if (r.metrics?.filesTotal !== undefined)
    parts.push(`files ${r.metrics.filesCopied ?? 0}/${r.metrics.filesTotal}`);
  parts.push(formatDuration(r.durationSeconds), `job ${r.jobId}`);
  const line = parts.join("  ");
  return r.error ? `${line}\n    ${r.error.message}` : line;
}

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command("run")
    .description("back up EBS volumes, RDS instances, S3 buckets, or all configured targets")
    .addArgument(new Argument("<type>", "what to back up").choices(CLI_TYPES))
    .option(
      "-r, --resource <id...>",
      "back up these volume ids / DB instance ids / bucket names instead of the configured targets",
    )
    .option("--json", "print the results as JSON")
    .option("--no-retention", "do not delete own snapshots past retention after the run")
    .action(
      async (
        type: (typeof CLI_TYPES)[number],
        opts: { resource?: string[]; json?: boolean; retention: boolean },
      ) => {
        // Loaded by the command that runs jobs only: the AWS SDK clients are most of the CLI's start.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
        const { runBackups } = require("../jobs") as typeof import("../jobs/index.js");
        const progress = createProgress(io);
        const abort = new AbortController();
        const onSignal = (signal: NodeJS.Signals) => {
          io.err(`${signal} received: aborting the run, unfinished backups are recorded as FAILED`);
          abort.abort(new Error(`drox-backup received ${signal}`));
        };
        process.once("SIGTERM", onSignal);
        process.once("SIGINT", onSignal);
        let results: BackupResult[];
        try {
          results = await runBackups(
            type.toUpperCase() as RunType,
            {
              resources: opts.resource,
              onProgress: progress.onProgress,
              skipRetention: !opts.retention,
              signal: abort.signal,
            },
            { logger: cliLogger() },
          );
        } finally {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          progress.stop();
        }
        if (opts.json) io.out(JSON.stringify(results, null, 2));
        else for (const r of results) io.out(describeResult(r));
        io.exitCode = exitCodeFor(results.map((r) => r.status));
      },
    );
}
