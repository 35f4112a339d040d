/**
 * `npm run demo`: the whole pipeline on this machine, no AWS account needed. Starts the AWS
 * emulator (moto), creates demo volumes, an RDS instance and buckets, runs a full round of backups
 * (one failing on purpose), the integrity check and the weekly report through the real runtime,
 * and delivers every event to Slack and Notion through the production Lambda handlers — the real
 * ones when SLACK_WEBHOOK_URL / NOTION_TOKEN + NOTION_DATABASE_ID are set, otherwise a local
 * capture whose texts and properties are printed. Ends with a summary; moto and the local servers
 * are stopped on success, error and Ctrl-C.
 *
 * Usage: npm run demo [-- --verbose] [-- --json <file>]
 * Exit: 0 when every event was delivered (the planned RDS failure included), 1 otherwise.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { Command } from "commander";
import { redactValue } from "../runtime/logging/redact";
import { runDemo } from "./demo/run";
import { deliveredAll, summaryLines } from "./demo/summary";

async function main(): Promise<number> {
  const program = new Command("demo")
    .description("run drox-backup end to end against a local AWS emulator")
    .option("--verbose", "show the jobs' logs (stderr)")
    .option("--json <file>", "also write the summary as JSON to this file")
    .parse(process.argv);
  const opts = program.opts<{ verbose?: boolean; json?: string }>();
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the local servers and moto…\n`);
    void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // Next to the JSON summary when there is one, else in the temporary directory (not the repo).
    const chartFile = resolve(opts.json ? dirname(opts.json) : tmpdir(), "drox-demo-weekly-chart.png");
    const summary = await runDemo({
      out,
      verbose: opts.verbose,
      onCleanup: (c) => cleanups.push(c),
      chartFile,
    });
    out("");
    for (const line of summaryLines(summary)) out(line);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(redactValue(summary), null, 2)}\n`);
    return deliveredAll(summary) ? 0 : 1;
  } catch (error) {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  } finally {
    await Promise.allSettled(cleanups.map((c) => c()));
  }
}

// process.exit runs moto's exit hook (test/support/moto.ts kills the server) and drops idle sockets.
void main().then((code) => process.exit(code));
