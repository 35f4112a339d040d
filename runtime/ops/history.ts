/**
 * The job history for a person at a terminal: the same records `/api/backups/jobs` serves, read
 * through the same HistoryStore (DynamoDB Queries on the month index, newest first), filtered the
 * same way, laid out as an aligned table in the display time zone. Columns are measured with
 * string-width because resource names and durations may be Korean (two terminal cells a letter).
 */
import stringWidth from "string-width";
import { ValidationError } from "../contract/errors";
import type { BackupType, Status } from "../contract/events";
import { formatDateTime, formatDuration } from "../contract/time";
import { MAX_PAGE_SIZE } from "../history/dynamodb";
import type { HistoryStore, JobRecord } from "../history/store";
import { startOfDay } from "../jobs/report";

export interface HistoryFilter {
  /** Inclusive lower bound on finishedAt (ISO 8601). */
  readonly from: string;
  readonly type?: BackupType;
  readonly status?: Status;
  /** Rows to show at most. */
  readonly limit: number;
}

export interface HistoryRows {
  /** Newest first. */
  readonly items: readonly JobRecord[];
  /** More records match than `limit` allowed. */
  readonly more: boolean;
}

const RELATIVE = /^(\d{1,4})([dh])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `7d`, `12h` (back from now) or `YYYY-MM-DD` (midnight in the display zone) → ISO 8601. */
export function parseSince(value: string, now: Date, timeZone: string): string {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const hours = Number(relative[1]) * (relative[2] === "d" ? 24 : 1);
    return new Date(now.getTime() - hours * 3_600_000).toISOString();
  }
  if (DATE.test(value) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value)
    return startOfDay(value, timeZone).toISOString();
  throw new ValidationError(`--since must be like 7d, 12h or 2024-11-01, got "${value}"`, [
    { field: "since", problem: "must be <n>d, <n>h or YYYY-MM-DD" },
  ]);
}

/** Pages through the store until `limit` rows or the end of the range. */
export async function readHistory(store: HistoryStore, filter: HistoryFilter): Promise<HistoryRows> {
  const items: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({
      from: filter.from,
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      limit: Math.min(MAX_PAGE_SIZE, filter.limit + 1 - items.length),
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length <= filter.limit);
  return { items: items.slice(0, filter.limit), more: items.length > filter.limit };
}

/** `107374182400` → `100.0 GB`: 1024-based, as AWS sizes volumes (and the Notion Backup_Size). */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const ERROR_WIDTH = 60;

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (stringWidth(flat) <= width) return flat;
  let cut = "";
  for (const char of flat) {
    if (stringWidth(`${cut}${char}…`) > width) break;
    cut += char;
  }
  return `${cut}…`;
}

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - stringWidth(text)));

/** Header plus one aligned line per run; the last column (the error) is not padded. */
export function formatHistoryTable(items: readonly JobRecord[], timeZone: string): string[] {
  const header = [`FINISHED (${timeZone})`, "TYPE", "RESOURCE", "STATUS", "DURATION", "SIZE", "ERROR"];
  const rows = items.map((r) => [
    formatDateTime(r.finishedAt, timeZone),
    r.type,
    r.resource,
    r.status,
    formatDuration(r.durationSeconds),
    formatSize(r.metrics?.sizeBytes),
    r.error ? oneLine(r.error.message, ERROR_WIDTH) : "",
  ]);
  const widths = header.map((h, i) =>
    Math.max(stringWidth(h), ...rows.map((row) => stringWidth(row[i] ?? ""))),
  );
  return [header, ...rows].map((cells) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
