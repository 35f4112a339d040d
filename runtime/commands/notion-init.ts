/**
 * `drox-backup notion init --parent <page id or URL>`: creates the "백업 로그" database with the
 * seed's schema and the guide's four views, and prints the id for NOTION_DATABASE_ID and
 * `pulumi config set notionDatabaseId`. Exits 0 when everything was created, 3 when something is
 * left to click (printed), 1 when the writer could not use the result.
 */
import type { Command } from "commander";
import { formatCheck } from "../setup/doctor/check";
import { DATABASE_TITLE } from "../setup/notion-init/title";
import { EXIT, type CliIo } from "./io";

export function registerNotionInitCommand(program: Command, io: CliIo): void {
  const notion = program.command("notion").description("set up the Notion side");
  notion
    .command("init")
    .description(
      `create the "${DATABASE_TITLE}" database (every property, option and colour of the guide, and its four views) under a page`,
    )
    .requiredOption(
      "--parent <page>",
      "the page to create it in: its URL (Share → Copy link) or id; connect the integration to that page first " +
        "(··· → Connections → Connect to → DROX DevOps Backup)",
    )
    .option("--title <title>", "the database's title", DATABASE_TITLE)
    .option("--no-views", "do not create the recommended views")
    .action(async (opts: { parent: string; title: string; views: boolean }) => {
      // The Notion client and the secret reading load when the command runs, not with the CLI.
      const { createSetupNotionClient } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
        require("../setup/notion-client") as typeof import("../setup/notion-client.js");
      const { initNotionDatabase } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
        require("../setup/notion-init") as typeof import("../setup/notion-init/index.js");
      const client = await createSetupNotionClient(io.env);
      const result = await initNotionDatabase(client, {
        parent: opts.parent,
        title: opts.title,
        views: opts.views,
      });
      for (const step of result.steps) io.out(formatCheck(step));
      const left = result.steps.filter((s) => s.status !== "ok");
      io.out("");
      io.out(`Database id: ${result.databaseId}${result.url ? `  (${result.url})` : ""}`);
      io.out("Use it:");
      io.out(`  pulumi config set notionDatabaseId ${result.databaseId}`);
      io.out(`  export NOTION_DATABASE_ID=${result.databaseId}   # local runs, drox-backup doctor`);
      if (left.length > 0) {
        io.out(
          `${left.length} step(s) above are left to do by hand (→ fix: …); then run drox-backup doctor.`,
        );
      }
      io.exitCode = result.steps.some((s) => s.status === "fail")
        ? EXIT.FAILED
        : left.length > 0
          ? EXIT.WARNING
          : EXIT.OK;
    });
}
