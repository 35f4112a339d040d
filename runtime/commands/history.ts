/**
 * `drox-backup history [--since 7d|YYYY-MM-DD] [--type ebs|rds|s3|local_hdd] [--status …] [--json]`:
 * the recorded runs, newest first, as a table in DISPLAY_TIME_ZONE (or JSON for scripts). Reads
 * HISTORY_TABLE with Queries only, like GET /api/backups/jobs.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Option, InvalidArgumentError, type Command } from "commander";
import { BACKUP_TYPES, STATUSES } from "../contract/enums";
import type { BackupType, Status } from "../contract/events";
import type { CliIo } from "./io";

/* eslint-disable @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts) */
/** The history store and its DynamoDB client, loaded when the command runs. */
function historyModules() {
  return {
    clients: require("../aws/clients") as typeof import("../aws/clients.js"),
    store: require("../history/dynamodb") as typeof import("../history/dynamodb.js"),
    ops: require("../ops/history") as typeof import("../ops/history.js"),
    settings: require("../settings/jobs") as typeof import("../settings/jobs.js"),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

const lower = (values: readonly string[]) => values.map((v) => v.toLowerCase());

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000)
    throw new InvalidArgumentError("must be a whole number from 1 to 10000");
  return n;
}

export const DEFAULT_HISTORY_LIMIT = 200;

export interface HistoryCommandDeps {
  readonly now?: () => Date;
  /** The client the store reads with (tests count its calls). */
  readonly dynamodb?: DynamoDBClient;
}

export function registerHistoryCommand(program: Command, io: CliIo, deps: HistoryCommandDeps = {}): void {
  const now = deps.now ?? (() => new Date());
  program
    .command("history")
    .description("the recorded backup runs, newest first, as a table (or --json)")
    .option("--since <when>", "7d, 12h, or a date YYYY-MM-DD in DISPLAY_TIME_ZONE", "7d")
    .addOption(new Option("--type <type>", "only this backup type").choices(lower(BACKUP_TYPES)))
    .addOption(new Option("--status <status>", "only this outcome").choices(lower(STATUSES)))
    .option("--limit <n>", `rows at most (default ${DEFAULT_HISTORY_LIMIT})`, parseLimit)
    .option("--json", "print the records as JSON")
    .action(
      async (opts: { since: string; type?: string; status?: string; limit?: number; json?: boolean }) => {
        const { clients, store: dynamodb, ops, settings: jobSettings } = historyModules();
        const settings = jobSettings.readJobSettings(io.env);
        const zone = settings.displayTimeZone;
        const from = ops.parseSince(opts.since, now(), zone);
        const store = new dynamodb.DynamoDbHistoryStore({
          client: deps.dynamodb ?? clients.createDynamoDbClient({ region: settings.region }),
          tableName: jobSettings.required(settings, "historyTable", "HISTORY_TABLE"),
          retentionDays: settings.historyRetentionDays,
          now,
        });
        const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
        const { items, more } = await ops.readHistory(store, {
          from,
          limit,
          ...(opts.type ? { type: opts.type.toUpperCase() as BackupType } : {}),
          ...(opts.status ? { status: opts.status.toUpperCase() as Status } : {}),
        });
        if (opts.json) {
          io.out(JSON.stringify(items, null, 2));
          return;
        }
        if (items.length === 0) {
          io.out(`No recorded runs since ${opts.since} (${from}) with these filters.`);
          return;
        }
        for (const line of ops.formatHistoryTable(items, zone)) io.out(line);
        io.out(
          more
            ? `${items.length} runs shown, more recorded: raise --limit or narrow --since.`
            : `${items.length} run(s).`,
        );
      },
    );
}
