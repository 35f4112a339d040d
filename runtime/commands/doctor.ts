/**
 * `drox-backup doctor [--send] [--only slack,notion,aws]`: checks the Slack webhooks, the Notion
 * token, database and schema, and the AWS credentials and targets, from the same environment the
 * runtime reads. One line per check (✓ / ✗ / !) with the fix. Exits 1 when any check failed,
 * 0 otherwise (! lines are advice: the runtime works).
 */
import { InvalidArgumentError, type Command } from "commander";
import { formatCheck } from "../setup/doctor/check";
import { SECTIONS, type Section } from "../setup/doctor/sections";
import { redactValue } from "../logging/redact";
import { EXIT, type CliIo } from "./io";

const TITLES: Record<Section, string> = {
  slack: "Slack",
  notion: "Notion",
  aws: "AWS",
};

function parseSections(value: string): Section[] {
  const parts = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = parts.filter((p) => !(SECTIONS as readonly string[]).includes(p));
  if (parts.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`sections are ${SECTIONS.join(", ")} (comma-separated)`);
  }
  return parts as Section[];
}

export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command("doctor")
    .description(
      "check the Slack, Notion and AWS settings in the environment and say exactly how to fix each problem",
    )
    .option("--send", "also post the Slack test message to the main webhook")
    .option("--only <sections>", `check only these sections: ${SECTIONS.join(", ")}`, parseSections)
    .option("--json", "print the checks as JSON")
    .action(async (opts: { send?: boolean; only?: Section[]; json?: boolean }) => {
      // The checks (and their AWS SDK clients) load when the doctor runs, not with the CLI.
      const { countByStatus, runDoctor } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
        require("../setup/doctor") as typeof import("../setup/doctor/index.js");
      const results = await runDoctor(io.env, { send: opts.send, only: opts.only });
      const counts = countByStatus(results);
      if (opts.json) {
        io.out(JSON.stringify(redactValue({ results, counts }), null, 2));
      } else {
        for (const { section, checks } of results) {
          io.out(`${TITLES[section]}`);
          for (const check of checks) io.out(`  ${formatCheck(check)}`);
        }
        io.out(
          counts.fail > 0
            ? `${counts.fail} problem(s) to fix, ${counts.warn} note(s), ${counts.ok} fine.`
            : `No problems${counts.warn > 0 ? `; ${counts.warn} note(s) worth a look` : ""}. ${counts.ok} checks fine.`,
        );
      }
      io.exitCode = counts.fail > 0 ? EXIT.FAILED : EXIT.OK;
    });
}
