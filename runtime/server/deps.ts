/**
 * What the HTTP service needs from the rest of the runtime, as narrow interfaces: the server is
 * built from these (buildServer), main.ts wires the real Slack, Notion, DynamoDB and SNS modules,
 * and tests can wire the same modules against the fakes and moto.
 */
import type { BackupResult, Drill, MonthlyReport, WeeklyReport } from "../contract/events";
import type { HistoryStore } from "../history/store";
import type { Logger } from "../logging/logger";
import type { EventPublisher } from "../publishing/publisher";

export const RUN_TYPES = ["EBS", "RDS", "S3", "ALL"] as const;
export type RunType = (typeof RUN_TYPES)[number];

export interface SlackTestSender {
  /** Sends the test message to the main webhook; throws a DroxError/ConfigError on failure. */
  sendTest(): Promise<void>;
}

export interface NotionTestWriter {
  /** Writes a test page into the database; throws a DroxError/ConfigError on failure. */
  writeTestPage(): Promise<{ pageId: string }>;
}

export interface BackupRunOptions {
  /** Limits the run to these resource ids (volume, instance, bucket). */
  readonly resources?: readonly string[];
  /** Aborted when the service shuts down before the run finished. */
  readonly signal?: AbortSignal;
  /** The run's id: the n-th result's job id must be `<runId>-<n>` (runtime/jobs/run-ids.ts). */
  readonly runId?: string;
}

export interface BackupRunner {
  /**
   * Throws a ConfigError naming the missing setting when a run of `type` could not record or
   * publish its results (no history table, no events topic, no backup bucket for S3). The route
   * asks before answering 202: a run that can only fail in the logs is refused with 503 instead.
   */
  check?(type: RunType): Promise<void>;
  /** Runs the backups; each result is recorded in history and published by the runner itself. */
  run(type: RunType, options: BackupRunOptions): Promise<readonly BackupResult[]>;
}

export interface DrillRunOptions {
  /** Limits the drill to these sources (volume, instance, bucket) of one kind. */
  readonly resources?: readonly string[];
  /** Aborted when the service shuts down: the drill deletes its scratch resources and reports. */
  readonly signal?: AbortSignal;
  /** The drill's id, allocated by the service for its 202. */
  readonly drillId: string;
}

export interface DrillRunner {
  /** Runs a restore drill (runtime/drills); records and publishes it itself. */
  run(type: RunType, options: DrillRunOptions): Promise<Drill>;
  /** Why a drill of `type` would be refused now (one of its kind runs), or undefined. */
  refusal?(type: RunType): Promise<string | undefined>;
}

export interface WeeklyReportSender {
  /**
   * Builds the report dated `reportDate` (YYYY-MM-DD in the display time zone; default today),
   * covering the seven days before it, as `drox-backup report weekly --week` does, and publishes it.
   */
  send(options: { readonly reportDate?: string }): Promise<WeeklyReport>;
  /**
   * Builds the monthly report of `month` (YYYY-MM in the display time zone; default the month
   * before today), as `drox-backup report monthly --month` does, and publishes it. Absent: no
   * `POST /api/reports/monthly`.
   */
  sendMonthly?(options: { readonly month?: string }): Promise<MonthlyReport>;
}

export interface RateLimitSettings {
  /** Requests per client per window. */
  readonly max: number;
  readonly timeWindowMs: number;
}

export interface ServiceDeps {
  /** The bearer token every /api/* request must present. */
  readonly apiToken: string;
  readonly logger: Logger;
  readonly slack: SlackTestSender;
  readonly notion: NotionTestWriter;
  readonly backups: BackupRunner;
  readonly history: HistoryStore;
  readonly publisher: EventPublisher;
  readonly reports: WeeklyReportSender;
  /** Restore drills (`POST /api/backups/drill`); the route exists only when given. */
  readonly drills?: DrillRunner;
  /** @default { max: 300, timeWindowMs: 60_000 } */
  readonly rateLimit?: RateLimitSettings;
  /** Largest accepted request body in bytes. @default 65_536 */
  readonly bodyLimit?: number;
  /**
   * How many proxies in front of the service to trust for the client address (X-Forwarded-For);
   * 1 behind the ALB, so rate limits apply per real client. @default 0
   */
  readonly trustProxyHops?: number;
}
