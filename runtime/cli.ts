#!/usr/bin/env node
/**
 * drox-backup's command line (the same image runs it in ECS). Each command lives in its own module
 * under runtime/commands/ and is registered here; add a command by adding its register function
 * to COMMANDS. Exit codes are documented in runtime/commands/io.ts.
 *
 * Registering a command must stay cheap: `--help` and every other command would pay for what it
 * imports. A command's implementation (the jobs and their AWS SDK clients, the server, the restore
 * engine, the doctor's checks) is loaded with `require` inside its action, when it runs. `require`,
 * not `import()`: the CLI is CommonJS, and import() of a .ts module would need the ESM loader hooks
 * that the specs (tsx's require hook) do not install.
 */
import { Command, CommanderError } from "commander";
import { DroxError, ConfigError, ValidationError } from "./contract/errors";
import { redactText } from "./logging/redact";
import { registerCheckCommand } from "./commands/check";
import { EXIT, type CliIo } from "./commands/io";
import { registerReportCommand } from "./commands/report";
import { describeResult, registerRunCommand } from "./commands/run";
import { registerServeCommand } from "./commands/serve";
import { registerDoctorCommand } from "./commands/doctor";
import { registerNotionInitCommand } from "./commands/notion-init";
import { registerDrillCommand } from "./commands/drill";
import { registerRestoreCommand } from "./commands/restore";
import { RestoreRefused } from "./restore/errors";
import { registerRedriveCommand } from "./commands/redrive";
import { registerHistoryCommand } from "./commands/history";

export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Every command, in help order. Others (serve, doctor, notion init) append theirs. */
export const COMMANDS: RegisterCommand[] = [
  registerRunCommand,
  registerCheckCommand,
  registerReportCommand,
  registerServeCommand,
  registerDoctorCommand,
  registerNotionInitCommand,
  registerDrillCommand,
  registerRestoreCommand,
  registerRedriveCommand,
  registerHistoryCommand,
];

/**
 * `drox-backup … | head`: once the reader has gone, writing to the pipe fails with EPIPE, which
 * Node raises as an 'error' event and, unhandled, as a crash with a stack trace. A closed output is
 * not the command's failure: further lines to it are dropped and the command finishes its work (a
 * backup or restore half done would be worse), then exits with its own code, quietly.
 */
export function closedOutputGuard(stream: NodeJS.WriteStream): { readonly isClosed: () => boolean } {
  let closed = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") {
      closed = true;
      return;
    }
    throw error;
  });
  return { isClosed: () => closed || stream.destroyed };
}

let stdoutGuard: ReturnType<typeof closedOutputGuard> | undefined;
let stderrGuard: ReturnType<typeof closedOutputGuard> | undefined;

export function defaultIo(): CliIo {
  stdoutGuard ??= closedOutputGuard(process.stdout);
  stderrGuard ??= closedOutputGuard(process.stderr);
  const stdout = stdoutGuard;
  const stderr = stderrGuard;
  return {
    out: (line) => {
      if (!stdout.isClosed()) process.stdout.write(`${line}\n`);
    },
    err: (line) => {
      if (!stderr.isClosed()) process.stderr.write(`${line}\n`);
    },
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    exitCode: EXIT.OK,
  };
}

const EXIT_HELP = `
Exit codes:
  0  every job SUCCEEDED (check: no findings)
  1  at least one job FAILED (check: a CRITICAL finding)
  2  usage or configuration error (restore: refused before anything was created, e.g. snapshot
     not found, still in progress, not drox-backup's without --force, target already exists)
  3  WARNING only: nothing FAILED but something needs attention
  4  runtime error: AWS unreachable, or results could not be recorded or published

Configuration comes from environment variables (EVENTS_TOPIC_ARN, HISTORY_TABLE, BACKUP_BUCKET,
EBS_VOLUME_IDS, RDS_INSTANCE_IDS, S3_SOURCE_BUCKETS, BACKUP_TAG, RETENTION_DAYS, DR_REGION, …)
and the AWS SDK's own (AWS_REGION, AWS_ENDPOINT_URL, credentials).`;

export function buildProgram(
  io: CliIo = defaultIo(),
  commands: readonly RegisterCommand[] = COMMANDS,
): Command {
  const program = new Command("drox-backup")
    .description("Scheduled AWS backups (EBS, RDS, S3) reported to Slack and Notion")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  for (const register of commands) register(program, io);
  // Subcommands inherit the exit override and output so every error maps to our exit codes.
  for (const command of program.commands) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    for (const sub of command.commands)
      sub
        .exitOverride()
        .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  return program;
}

/** Runs the CLI and resolves with the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const program = buildProgram(io);
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv]);
    return io.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
        ? EXIT.OK
        : EXIT.USAGE;
    }
    if (error instanceof ConfigError || error instanceof ValidationError || error instanceof RestoreRefused) {
      io.err(`error: ${redactText(error.message)}`);
      return EXIT.USAGE;
    }
    // Loaded only on this path: the jobs' records (and the ids they mint) are no part of the start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, see the header
    const { DeliveryError } = require("./jobs/record") as typeof import("./jobs/record.js");
    if (error instanceof DeliveryError) {
      for (const r of error.results) io.out(describeResult(r));
      io.err(`error: ${redactText(error.message)}`);
      return EXIT.RUNTIME;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(
      `error: ${redactText(message)}${error instanceof DroxError && error.retryable ? " (retryable)" : ""}`,
    );
    return EXIT.RUNTIME;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
