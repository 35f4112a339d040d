/**
 * `drox-backup history [--since 7d|YYYY-MM-DD] [--type ebs|rds|s3|local_hdd] [--status …] [--json]`:
 * the recorded runs, newest first, as a table in DISPLAY_TIME_ZONE (or JSON for scripts). Reads
 * HISTORY_TABLE with Queries only, like GET /api/backups/jobs.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Option, InvalidArgumentError, type Command } from "commander";
import { BACKUP_TYPES, STATUSES, type BackupType, type Status } from "../contract/events";
import { createDynamoDbClient } from "../aws/clients";
import { DynamoDbHistoryStore } from "../history/dynamodb";
import { formatHistoryTable, parseSince, readHistory } from "../ops/history";
import { readJobSettings, required } from "../settings/jobs";
import type { CliIo } from "./io";

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
        const settings = readJobSettings(io.env);
        const zone = settings.displayTimeZone;
        const from = parseSince(opts.since, now(), zone);
        const store = new DynamoDbHistoryStore({
          client: deps.dynamodb ?? createDynamoDbClient({ region: settings.region }),
          tableName: required(settings, "historyTable", "HISTORY_TABLE"),
          retentionDays: settings.historyRetentionDays,
          now,
        });
        const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
        const { items, more } = await readHistory(store, {
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
        for (const line of formatHistoryTable(items, zone)) io.out(line);
        io.out(
          more
            ? `${items.length} runs shown, more recorded: raise --limit or narrow --since.`
            : `${items.length} run(s).`,
        );
      },
    );
}
