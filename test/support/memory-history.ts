/**
 * An in-memory HistoryStore for specs and benchmarks that exercise the HTTP layer without DynamoDB:
 * idempotent on the job id like the real store, and it records the queries it was asked.
 */
import type { HistoryPage, HistoryQuery, HistoryStore, JobRecord } from "../../runtime/history/store";

export class MemoryHistory implements HistoryStore {
  readonly records = new Map<string, JobRecord>();
  readonly queries: HistoryQuery[] = [];
  /** When set, `list` answers with this page instead of the records. */
  nextPage?: HistoryPage;

  async put(record: JobRecord): Promise<boolean> {
    if (this.records.has(record.jobId)) return false;
    this.records.set(record.jobId, record);
    return true;
  }
  async get(jobId: string): Promise<JobRecord | undefined> {
    return this.records.get(jobId);
  }
  async list(query: HistoryQuery): Promise<HistoryPage> {
    this.queries.push(query);
    const prefix = query.jobIdPrefix ?? "";
    return this.nextPage ?? { items: [...this.records.values()].filter((r) => r.jobId.startsWith(prefix)) };
  }
}
