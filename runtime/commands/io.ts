/**
 * What every CLI command shares: where output goes, whether it is a terminal, the environment,
 * and the exit code it settles on. Exit codes:
 *   0 everything SUCCEEDED          1 at least one FAILED (or the check found a CRITICAL problem)
 *   2 usage or configuration error  3 WARNING, nothing FAILED
 *   4 runtime error (AWS unreachable, results not recorded or published)
 */
import type { Status } from "../contract/events";
import type { Logger } from "../logging/logger";

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, WARNING: 3, RUNTIME: 4 } as const;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Progress bars only when stdout is a terminal; plain log lines otherwise. */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Commands raise it; the worst outcome wins. */
  exitCode: number;
}

export function exitCodeFor(statuses: readonly Status[]): number {
  if (statuses.includes("FAILED")) return EXIT.FAILED;
  if (statuses.includes("WARNING")) return EXIT.WARNING;
  return EXIT.OK;
}

/** Job logs (JSON lines) go to stderr so stdout carries only results, e.g. for `--json`. */
export function cliLogger(): Logger {
  // The logger (pino, and the settings it reads) loads when a command logs, not with the CLI.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
  const { createLogger } = require("../logging/logger") as typeof import("../logging/logger.js");
  return createLogger({ name: "drox-backup", destination: process.stderr });
}
