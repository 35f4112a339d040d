/**
 * `drox-backup check`: the integrity check (보안 점검), published as backup.check.v1.
 * Exits 0 without findings, 3 with warnings, 1 with a CRITICAL finding.
 */
import type { Command } from "commander";
import { cliLogger, exitCodeFor, type CliIo } from "./io";

export function registerCheckCommand(program: Command, io: CliIo): void {
  program
    .command("check")
    .description(
      "check the backups: snapshots completed and encrypted, S3 copies intact, backup bucket locked down",
    )
    .option("--json", "print the check as JSON")
    .action(async (opts: { json?: boolean }) => {
      // Loaded only when the command runs (the AWS SDK clients are most of the CLI's start).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
      const { runIntegrityCheck } = require("../jobs") as typeof import("../jobs/index.js");
      const check = await runIntegrityCheck({ logger: cliLogger() });
      if (opts.json) {
        io.out(JSON.stringify(check, null, 2));
      } else {
        io.out(
          `${check.status}  integrity check ${check.checkId}: ${check.checkedResources ?? 0} checked, ${check.findings.length} finding(s)`,
        );
        for (const f of check.findings) io.out(`  ${f.severity.padEnd(8)} ${f.resource}: ${f.message}`);
      }
      io.exitCode = exitCodeFor([check.status]);
    });
}
