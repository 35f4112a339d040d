/**
 * `drox-backup serve`: the HTTP service (the image's default command in ECS). Runs until SIGTERM
 * or SIGINT, then shuts down gracefully and exits 0; a startup problem (no API token, a bad PORT)
 * exits 2 with the setting named, through the CLI's usual error handling.
 */
import type { Command } from "commander";
import { EXIT, type CliIo } from "./io";

/** After a clean shutdown, idle keep-alive sockets (AWS SDK, Slack) must not hold the exit up. */
const EXIT_GRACE_MS = 1_000;

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description(
      "run the HTTP API on PORT (default 8080) until SIGTERM; needs API_TOKEN or API_TOKEN_SECRET_ARN",
    )
    .action(async () => {
      // Loaded only when the command runs, like every command's implementation.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
      const { serveUntilStopped } = require("../server/main") as typeof import("../server/main.js");
      await serveUntilStopped(io.env);
      io.exitCode = EXIT.OK;
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    });
}
