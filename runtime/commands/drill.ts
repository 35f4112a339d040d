/**
 * `drox-backup drill [ebs|rds|s3|all] [--resource ID…] [--json]`: restores the newest backups into
 * scratch resources, checks and times them, deletes them, and prints one line per resource.
 * Exits 0 / 3 / 1 like `run` for a drill that SUCCEEDED / needs a look / FAILED; a drill refused
 * because one of its kind is running exits 1 with the reason on stderr.
 *
 * On SIGTERM (ECS stopping the task) or Ctrl-C the drill is aborted: its scratch resources are
 * deleted before the command returns, and the drill is still recorded and published.
 */
import { Argument, type Command } from "commander";
import type { Drill, DrillResource } from "../contract/events";
import { formatDuration } from "../contract/time";
import type { DrillRunType } from "../drills";
import { cliLogger, EXIT, exitCodeFor, type CliIo } from "./io";

export const DRILL_CLI_TYPES = ["ebs", "rds", "s3", "all"] as const;

export function describeDrillResource(r: DrillResource): string {
  const parts = [r.status.padEnd(9), r.type.padEnd(3), r.resource];
  if (r.snapshotId) parts.push(`from ${r.snapshotId}`);
  if (r.secondsToRestore !== undefined) parts.push(`restored in ${formatDuration(r.secondsToRestore)}`);
  if (r.sample)
    parts.push(`sample ${r.sample.objects}/${r.sample.sourceObjects} objects, ${r.sample.bytes} bytes`);
  return [parts.join("  "), ...r.findings.map((f) => `    [${f.severity}] ${f.resource}: ${f.message}`)].join(
    "\n",
  );
}

export function describeDrill(drill: Drill): string[] {
  return [
    `drill ${drill.drillId}  ${drill.status}`,
    ...drill.findings.map((f) => `    [${f.severity}] ${f.resource}: ${f.message}`),
    ...drill.resources.map(describeDrillResource),
  ];
}

export function registerDrillCommand(program: Command, io: CliIo): void {
  program
    .command("drill")
    .description("restore the newest backups into scratch resources, check and time them, delete them")
    .addArgument(new Argument("[type]", "what to restore").choices(DRILL_CLI_TYPES).default("all"))
    .option(
      "-r, --resource <id...>",
      "drill these volume ids / DB instance ids / bucket names instead of the targets",
    )
    .option("--json", "print the drill event as JSON")
    .action(async (type: (typeof DRILL_CLI_TYPES)[number], opts: { resource?: string[]; json?: boolean }) => {
      // The drills and their AWS SDK clients load when a drill runs, not with the CLI.
      const { DrillBusyError, DrillDeliveryError, runDrill } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
        require("../drills") as typeof import("../drills/index.js");
      const abort = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        io.err(`${signal} received: aborting the drill, its scratch resources are being deleted`);
        abort.abort(new Error(`drox-backup received ${signal}`));
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      let drill: Drill;
      try {
        drill = await runDrill(
          type.toUpperCase() as DrillRunType,
          { resources: opts.resource, signal: abort.signal },
          { logger: cliLogger() },
        );
      } catch (error) {
        // The drill ran: show what it found before failing on the delivery.
        if (error instanceof DrillDeliveryError) for (const line of describeDrill(error.drill)) io.out(line);
        if (!(error instanceof DrillBusyError)) throw error;
        io.err(`refused: ${error.message}`);
        io.exitCode = EXIT.FAILED;
        return;
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
      if (opts.json) io.out(JSON.stringify(drill, null, 2));
      else for (const line of describeDrill(drill)) io.out(line);
      io.exitCode = exitCodeFor([drill.status]);
    });
}
