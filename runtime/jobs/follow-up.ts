/**
 * Follow-ups of results the job could not finish judging: a snapshot the job left `SnapshotPending`
 * that the integrity check now finds completed (or failed). The follow-up is a backup.result.v1 of
 * its own with `followUpOf` = the original job id, so bot mode replies in the original message's
 * thread and updates the original Notion page; webhook mode posts it as a message like any result.
 * Its job id is derived (`<original>.done`), so the history's idempotent put decides once: a later
 * check that sees the same snapshot publishes nothing.
 */
import type { BackupResult } from "../contract/events";
import type { JobDeps } from "./context";
import { SNAPSHOT_PENDING_CODE } from "./pending";
import { publishEvent } from "./record";

export const FOLLOW_UP_SUFFIX = ".done";
export const FOLLOW_UP_IMPROVEMENT = "무결성 검사에서 스냅샷 완료 확인";

/** A snapshot the check looked at, by the job that made it. */
export interface SnapshotOutcome {
  readonly jobId: string;
  readonly done: boolean;
  /** Set when the snapshot failed (its state message). */
  readonly failure?: string;
}

function followUpOf(original: BackupResult, outcome: SnapshotOutcome, now: Date): BackupResult {
  const finishedAt = now.toISOString();
  const durationSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(original.startedAt)) / 1000));
  const base = {
    ...original,
    jobId: `${original.jobId}${FOLLOW_UP_SUFFIX}`,
    finishedAt,
    durationSeconds,
    followUpOf: original.jobId,
  };
  delete (base as { error?: unknown }).error;
  return outcome.failure !== undefined
    ? { ...base, status: "FAILED", error: { code: "SnapshotFailed", message: outcome.failure } }
    : { ...base, status: "SUCCEEDED", improvement: FOLLOW_UP_IMPROVEMENT };
}

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
    const followUp = followUpOf(original, outcome, deps.now());
    if (!(await deps.history.put(followUp))) continue;
    await publishEvent(deps, followUp, failures);
  }
  return failures;
}
