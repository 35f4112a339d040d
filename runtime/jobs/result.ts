/**
 * Building result events: one job id (ULID, sortable) per resource run, ISO times, whole-second
 * durations as people read them.
 */
import { ulid } from "ulid";
import type { BackupResult, BackupType, Metrics, Status } from "../contract/events";

export const GIB = 1024 ** 3;

export interface RunClock {
  readonly jobId: string;
  readonly startedAt: Date;
}

/** The job id a run allocated for a resource in advance (the service's 202), if any. */
export type JobIdFor = (resource: string) => string | undefined;

export function startRun(now: Date, jobId?: string): RunClock {
  return { jobId: jobId ?? ulid(now.getTime()), startedAt: now };
}

export interface Outcome {
  readonly status: Status;
  readonly metrics?: Metrics;
  readonly verification?: BackupResult["verification"];
  readonly error?: { message: string; code?: string };
}

export function finishRun(
  clock: RunClock,
  type: BackupType,
  resource: string,
  finishedAt: Date,
  outcome: Outcome,
): BackupResult {
  const finished = finishedAt < clock.startedAt ? clock.startedAt : finishedAt;
  return {
    schema: "backup.result.v1",
    jobId: clock.jobId,
    type,
    resource,
    status: outcome.status,
    startedAt: clock.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - clock.startedAt.getTime()) / 1000),
    ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
    ...(outcome.verification ? { verification: outcome.verification } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** The AWS error code of an SDK exception (its `name`), or undefined for anything else. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && typeof (error as { $metadata?: unknown }).$metadata === "object")
    return error.name;
  return undefined;
}

export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim() || "unknown error";
}
