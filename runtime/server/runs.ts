/**
 * Backup runs started over HTTP outlive their request (202 at once). The tracker keeps them so a
 * caller can ask how one went, and so shutdown can wait for them — up to a bound, after which they
 * are aborted: ECS kills the task anyway once its stop timeout passes.
 */
import { ulid } from "ulid";
import type { BackupResult } from "../contract/events";
import type { Logger } from "../logging/logger";
import { redactText } from "../logging/redact";
import { runJobId } from "../jobs/run-ids";
import type { RunType } from "./deps";

export type RunStatus = "RUNNING" | "FINISHED" | "FAILED";

/** What the tracker keeps of each outcome: a backup result, or one resource of a drill. */
export type RunSummary = Pick<BackupResult, "jobId" | "type" | "resource" | "status">;

export interface RunState {
  readonly runId: string;
  readonly type: RunType;
  readonly resources: readonly string[];
  /** The job ids the results will carry, when known before the run starts (one resource). */
  readonly jobIds?: readonly string[];
  readonly startedAt: string;
  status: RunStatus;
  finishedAt?: string;
  /** One summary per backup the run produced (the full results went out as events). */
  results?: { jobId: string; type: string; resource: string; status: string }[];
  error?: string;
}

/** Finished runs kept for status look-ups; older ones are forgotten (history has the results). */
const KEEP_FINISHED = 200;

export class RunTracker {
  private readonly runs = new Map<string, RunState>();
  private readonly pending = new Map<string, { promise: Promise<void>; abort: AbortController }>();

  constructor(private readonly log: Logger) {}

  /**
   * Starts `task` in the background and returns its state at once. The task must give its results
   * the job ids `<runId>-<n>`; a run of one resource has exactly one, `<runId>-1`.
   */
  start(
    type: RunType,
    resources: readonly string[],
    task: (signal: AbortSignal, runId: string) => Promise<readonly RunSummary[]>,
    /** The ids the outcome will carry, when not `<runId>-1` (a drill's id is the run id). */
    jobIdsOf?: (runId: string) => readonly string[],
  ): RunState {
    const now = Date.now();
    const runId = ulid(now);
    const state: RunState = {
      runId,
      type,
      resources,
      ...(jobIdsOf
        ? { jobIds: jobIdsOf(runId) }
        : type !== "ALL" && resources.length === 1
          ? { jobIds: [runJobId(runId, 1)] }
          : {}),
      startedAt: new Date(now).toISOString(),
      status: "RUNNING",
    };
    this.runs.set(state.runId, state);
    const abort = new AbortController();
    const promise = Promise.resolve()
      .then(() => task(abort.signal, runId))
      .then(
        (results) => {
          state.status = "FINISHED";
          state.results = results.map((r) => ({
            jobId: r.jobId,
            type: r.type,
            resource: r.resource,
            status: r.status,
          }));
          this.log.info({ runId: state.runId, type, results: state.results }, "backup run finished");
        },
        (error: unknown) => {
          state.status = "FAILED";
          state.error = redactText(error instanceof Error ? error.message : String(error));
          this.log.error({ runId: state.runId, type, err: error }, "backup run failed");
        },
      )
      .finally(() => {
        state.finishedAt = new Date().toISOString();
        this.pending.delete(state.runId);
        this.forgetOldRuns();
      });
    this.pending.set(state.runId, { promise, abort });
    return state;
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  /** Runs still going. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Waits for every run; after `timeoutMs` aborts those still going and waits for them to settle
   * (a runner that ignores the signal is given up on after a further second). Resolves with how
   * many runs had to be aborted.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.pending.size === 0) return 0;
    const all = () => Promise.allSettled([...this.pending.values()].map((p) => p.promise));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return 0;
    const aborted = this.pending.size;
    this.log.warn({ aborted, timeoutMs }, "aborting backup runs still going at shutdown");
    for (const { abort } of this.pending.values()) abort.abort(new Error("the service is shutting down"));
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    return aborted;
  }

  private forgetOldRuns(): void {
    const finished = [...this.runs.values()].filter((r) => r.status !== "RUNNING");
    for (const run of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.runs.delete(run.runId);
    }
  }
}
