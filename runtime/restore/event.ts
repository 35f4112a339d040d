/**
 * Building `backup.restore.v1`: one restore id (ULID, sortable), ISO times, whole seconds, and who
 * asked. Restores run with the operator's own credentials, so the operator is the caller's login
 * name (and AWS profile, when one is chosen), not the task role.
 */
import { userInfo } from "node:os";
import { ulid } from "ulid";
import type { RestoreEvent, RestoreMetrics, RestoreType, Status } from "../contract/events";

export interface RestoreClock {
  readonly restoreId: string;
  readonly startedAt: Date;
}

export function startRestore(now: Date): RestoreClock {
  return { restoreId: ulid(now.getTime()), startedAt: now };
}

/** What a restore is about, known once its backup has been resolved. */
export interface RestoreSubject {
  readonly type: RestoreType;
  readonly resource: string;
  readonly from: string;
  readonly target: string;
  readonly at?: string;
  readonly region?: string;
}

export interface RestoreOutcome {
  readonly status: Status;
  readonly metrics?: RestoreMetrics;
  readonly error?: { message: string; code?: string };
}

export function finishRestore(
  clock: RestoreClock,
  subject: RestoreSubject,
  requestedBy: string,
  finishedAt: Date,
  outcome: RestoreOutcome,
): RestoreEvent {
  const finished = finishedAt < clock.startedAt ? clock.startedAt : finishedAt;
  return {
    schema: "backup.restore.v1",
    restoreId: clock.restoreId,
    ...subject,
    requestedBy,
    status: outcome.status,
    startedAt: clock.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - clock.startedAt.getTime()) / 1000),
    ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** `alice`, or `alice (AWS profile prod-admin)`; `unknown` when the system knows no name. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  let name = env.USER?.trim() || env.LOGNAME?.trim() || env.USERNAME?.trim();
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      // no passwd entry (e.g. an arbitrary uid in a container)
    }
  }
  const profile = env.AWS_PROFILE?.trim();
  return `${name || "unknown"}${profile ? ` (AWS profile ${profile})` : ""}`.slice(0, 512);
}
