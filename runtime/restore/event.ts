/**
 * Building `backup.restore.v1`: one restore id (ULID, sortable), ISO times, whole seconds, and who
 * asked. Restores run with the operator's own credentials, so the operator is the caller's login
 * name (and AWS profile, when one is chosen), not the task role.
 */
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
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

/** The login name of whoever runs the CLI; `unknown` when the system knows none. */
function loginName(env: NodeJS.ProcessEnv): string {
  let name = env.USER?.trim() || env.LOGNAME?.trim() || env.USERNAME?.trim();
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      // no passwd entry (e.g. an arbitrary uid in a container)
    }
  }
  return name || "unknown";
}

/** `alice`, or `alice (AWS profile prod-admin)`: the operator as far as the machine knows. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  const profile = env.AWS_PROFILE?.trim();
  return `${loginName(env)}${profile ? ` (AWS profile ${profile})` : ""}`.slice(0, 512);
}

/**
 * `alice (arn:aws:sts::123456789012:assumed-role/Admin/alice)`: the login name and the AWS identity
 * the restore really runs as, which is what an audit needs (a login name alone can be anyone's).
 * GetCallerIdentity needs no permission and cannot be denied
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html); when STS cannot
 * be reached the restore still goes ahead, named as far as the machine knows.
 */
export async function identifyOperator(
  sts: STSClient,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  try {
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (Arn) return `${loginName(env)} (${Arn})`.slice(0, 512);
  } catch {
    // no network or no credentials: the restore itself will say so if it needs them
  }
  return operatorName(env);
}
