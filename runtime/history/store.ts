/**
 * Job history: every run recorded once, keyed by job id. The interface is what the jobs, the weekly
 * report and the HTTP API need; the DynamoDB implementation lives in ./history-dynamodb.
 */
import type { BackupResult, BackupType, Status } from "../contract/events";

/** A recorded run is the result event itself: one shape from job to Slack to history. */
export type JobRecord = BackupResult;

export interface HistoryQuery {
  /** Inclusive lower bound on finishedAt (ISO 8601). */
  readonly from?: string;
  /** Exclusive upper bound on finishedAt (ISO 8601). */
  readonly to?: string;
  readonly status?: Status;
  readonly type?: BackupType;
  /** Only job ids starting with this, e.g. `<runId>-` for the results of one run. */
  readonly jobIdPrefix?: string;
  /** Page size; implementations cap it. */
  readonly limit?: number;
  /** Opaque cursor from the previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface HistoryPage {
  /** Newest first. */
  readonly items: readonly JobRecord[];
  readonly nextCursor?: string;
}

export interface HistoryStore {
  /**
   * Records a run. Returns false (and changes nothing) when a record with the same job id exists:
   * repeated deliveries and repeated external reports are idempotent.
   */
  put(record: JobRecord): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  list(query: HistoryQuery): Promise<HistoryPage>;
}
