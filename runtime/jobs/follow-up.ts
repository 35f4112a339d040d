/**
 * Follow-ups of results the job could not finish judging: a snapshot the job left `SnapshotPending`
 * that the integrity check now finds completed (or failed), and the DR copies the job started
 * without waiting for them (runtime/jobs/dr-copy.ts), once the check finds all of a job's copies
 * completed (or one failed). A run that succeeds where the previous run of the same resource failed
 * is itself the follow-up of that failure (withRetryOf). The follow-up is a backup.result.v1 of
 * its own with `followUpOf` = the original job id, so bot mode replies in the original message's
 * thread and updates the original Notion page; webhook mode posts it as a message like any result.
 * Its job id is derived (`<original>.done`, `<original>.dr`), so the history's idempotent put
 * decides once: a later check that sees the same snapshot or copies publishes nothing.
 */
import type { BackupResult } from "../contract/events";
import type { JobDeps } from "./context";
import { SNAPSHOT_PENDING_CODE } from "./pending";
import { publishEvent } from "./record";

export const FOLLOW_UP_SUFFIX = ".done";
export const FOLLOW_UP_IMPROVEMENT = "무결성 검사에서 스냅샷 완료 확인";
export const DR_FOLLOW_UP_SUFFIX = ".dr";
export const DR_FOLLOW_UP_IMPROVEMENT = "무결성 검사에서 DR 복사본 완료 확인";

/** A snapshot the check looked at, by the job that made it. */
export interface SnapshotOutcome {
  readonly jobId: string;
  readonly done: boolean;
  /** Set when the snapshot failed (its state message). */
  readonly failure?: string;
}

function followUpOf(
  original: BackupResult,
  outcome: Omit<SnapshotOutcome, "jobId">,
  now: Date,
  derived: { readonly suffix: string; readonly improvement: string; readonly failureCode: string },
): BackupResult {
  const finishedAt = now.toISOString();
  const durationSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(original.startedAt)) / 1000));
  const base = {
    ...original,
    jobId: `${original.jobId}${derived.suffix}`,
    finishedAt,
    durationSeconds,
    followUpOf: original.jobId,
  };
  delete (base as { error?: unknown }).error;
  return outcome.failure !== undefined
    ? { ...base, status: "FAILED", error: { code: derived.failureCode, message: outcome.failure } }
    : { ...base, status: "SUCCEEDED", improvement: derived.improvement };
}

const SNAPSHOT_DONE = {
  suffix: FOLLOW_UP_SUFFIX,
  improvement: FOLLOW_UP_IMPROVEMENT,
  failureCode: "SnapshotFailed",
};

/**
 * Publishes a follow-up for each snapshot whose job reported it pending and that is now done or
 * failed. Answers what could not be recorded or published (the check reports it as a finding).
 */
export async function followUpPending(
  deps: JobDeps,
  outcomes: readonly SnapshotOutcome[],
): Promise<string[]> {
  const failures: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.done && outcome.failure === undefined) continue;
    const original = await deps.history.get(outcome.jobId);
    if (original?.status !== "WARNING" || original.error?.code !== SNAPSHOT_PENDING_CODE) continue;
    const followUp = followUpOf(original, outcome, deps.now(), SNAPSHOT_DONE);
    if (!(await deps.history.put(followUp))) continue;
    await publishEvent(deps, followUp, failures);
  }
  return failures;
}

/**
 * Publishes a follow-up for each job whose DR copies (`copies`: those in the DR region, by the job
 * id they are tagged with) are all completed, or one failed; a job with a copy still in progress
 * waits for a later check. Only results that succeeded or warned started copies; follow-ups are
 * never followed up. Answers what could not be recorded or published.
 */
export async function followUpDrCopies(deps: JobDeps, copies: readonly SnapshotOutcome[]): Promise<string[]> {
  const byJob = new Map<string, SnapshotOutcome[]>();
  for (const copy of copies) byJob.set(copy.jobId, [...(byJob.get(copy.jobId) ?? []), copy]);
  const failures: string[] = [];
  for (const [jobId, outcomes] of byJob) {
    const failure = outcomes.find((o) => o.failure !== undefined)?.failure;
    if (failure === undefined && !outcomes.every((o) => o.done)) continue;
    const original = await deps.history.get(jobId);
    if (!original || original.status === "FAILED" || original.followUpOf !== undefined) continue;
    // Stryker disable next-line BooleanLiteral: followUpOf reads only `failure`; `done` completes the outcome's type
    const followUp = followUpOf(original, { done: true, failure }, deps.now(), {
      suffix: DR_FOLLOW_UP_SUFFIX,
      improvement: DR_FOLLOW_UP_IMPROVEMENT,
      failureCode: "DrCopyFailed",
    });
    if (!(await deps.history.put(followUp))) continue;
    await publishEvent(deps, followUp, failures);
  }
  return failures;
}

/** How far back a failed run still counts as the one a success retries (daily jobs: a day). */
export const RETRY_WINDOW_DAYS = 7;
/** History pages read at most to find the previous run; a page holds up to 100 runs of the type. */
const RETRY_MAX_PAGES = 5;

/**
 * The failed run a successful result retries: the latest earlier run of the same type and resource
 * (finished before this one started, within RETRY_WINDOW_DAYS), when it FAILED. Follow-ups are
 * skipped: they are not runs of their own.
 */
export async function retriedFailure(deps: JobDeps, result: BackupResult): Promise<string | undefined> {
  if (result.status !== "SUCCEEDED" || result.followUpOf !== undefined) return undefined;
  const from = new Date(Date.parse(result.startedAt) - RETRY_WINDOW_DAYS * 86_400_000).toISOString();
  let cursor: string | undefined;
  for (let page = 0; page < RETRY_MAX_PAGES; page += 1) {
    const { items, nextCursor } = await deps.history.list({
      type: result.type,
      from,
      to: result.startedAt,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    const previous = items.find(
      (r) => r.resource === result.resource && r.jobId !== result.jobId && r.followUpOf === undefined,
    );
    if (previous) return previous.status === "FAILED" ? previous.jobId : undefined;
    if (!nextCursor) return undefined;
    cursor = nextCursor;
  }
  return undefined;
}

/**
 * The result, with `followUpOf` the failed run it retries when there is one, so bot mode replies
 * in that failure's thread and updates its page. A history that cannot answer never holds back
 * the result: it is then delivered as a run of its own.
 */
export async function withRetryOf(deps: JobDeps, result: BackupResult): Promise<BackupResult> {
  try {
    const failed = await retriedFailure(deps, result);
    return failed ? { ...result, followUpOf: failed } : result;
  } catch {
    return result;
  }
}
