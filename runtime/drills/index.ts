/**
 * Restore drills (복구 테스트) as the CLI, the weekly schedule and the HTTP service run them: per kind,
 * take the kind's lock, sweep leftovers of earlier drills, restore the newest backups into scratch
 * resources against the kind's deadline, check and time them, delete them. Kinds run side by side
 * (an RDS restore waits for minutes; the others need not wait for it). The drill is recorded in the
 * history and published as one `backup.drill.v1`, aborted or not.
 */
import { ulid } from "ulid";
import { ConfigError, DroxError, ValidationError } from "../contract/errors";
import {
  DRILL_TYPES,
  type Drill,
  type DrillResource,
  type DrillType,
  type Finding,
} from "../contract/events";
import { abortReason } from "../jobs/abort";
import { publishEvent } from "../jobs/record";
import { messageOf } from "../jobs/result";
import { ebsTargets, rdsTargets, s3Targets } from "../jobs/targets";
import { required } from "../settings/jobs";
import { createDrillDeps, type DrillDeps, type DrillWaits, type KindRun } from "./context";
import { CLEANUP_GRACE_MS, startDeadline } from "./deadline";
import { drillEbsVolumes } from "./ebs";
import { DrillBusyError } from "./lock";
import { finding, statusOf, worst } from "./outcome";
import { drillRdsInstances } from "./rds";
import { drillS3Buckets } from "./s3";
import { sweepEbs, sweepRds } from "./sweeper";

export { DrillBusyError } from "./lock";
export { createDrillDeps, type DrillDeps } from "./context";

export const DRILL_RUN_TYPES = [...DRILL_TYPES, "ALL"] as const;
export type DrillRunType = (typeof DRILL_RUN_TYPES)[number];

export interface DrillOptions {
  /** Explicit sources for one kind; replaces the configured targets. */
  readonly resources?: readonly string[];
  /** Ends the drill early (SIGTERM, service shutdown); scratch resources are still deleted. */
  readonly signal?: AbortSignal;
  /** The drill's id (the HTTP service allocates it for its 202); a fresh ULID otherwise. */
  readonly drillId?: string;
  readonly waits?: DrillWaits;
}

async function targetsOf(deps: DrillDeps, type: DrillType, resources?: readonly string[]): Promise<string[]> {
  if (type === "EBS") return ebsTargets(deps, resources);
  if (type === "RDS") return rdsTargets(deps, resources);
  return s3Targets(deps, resources);
}

async function runKind(run: KindRun, type: DrillType, targets: readonly string[]): Promise<DrillResource[]> {
  if (type === "EBS") return drillEbsVolumes(run, targets);
  if (type === "RDS") return drillRdsInstances(run, targets);
  return drillS3Buckets(run, required(run.deps.settings, "backupBucket", "BACKUP_BUCKET"), targets);
}

async function sweep(deps: DrillDeps, type: DrillType): Promise<Finding[]> {
  try {
    if (type === "EBS") return await sweepEbs(deps, deps.now());
    if (type === "RDS") return await sweepRds(deps, deps.now());
    return [];
  } catch (error) {
    return [
      finding(
        "WARNING",
        `${type} drill`,
        `leftovers of earlier drills could not be listed: ${messageOf(error)}`,
      ),
    ];
  }
}

/**
 * Runs a drill of one kind (or of every kind with targets) and returns its event, recorded and
 * published. Throws DrillBusyError (nothing started) when a drill of a wanted kind is running.
 */
export async function runDrill(
  type: DrillRunType,
  options: DrillOptions = {},
  depsIn?: Partial<DrillDeps>,
): Promise<Drill> {
  if (!(DRILL_RUN_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(
      `unknown drill type "${String(type)}": valid types are ${DRILL_RUN_TYPES.join(", ")}`,
      [{ field: "type", problem: `must be one of ${DRILL_RUN_TYPES.join(", ")}` }],
    );
  }
  const resources = options.resources?.filter((r) => r.trim().length > 0);
  if (type === "ALL" && resources && resources.length > 0) {
    throw new ValidationError("resources need a single drill type (EBS, RDS or S3), not ALL", [
      { field: "resources", problem: "requires type EBS, RDS or S3" },
    ]);
  }
  const deps = createDrillDeps(depsIn ?? {});
  const log = deps.logger;
  const startedAt = deps.now();
  const drillId = options.drillId ?? ulid(startedAt.getTime());
  const plan: { type: DrillType; targets: string[] }[] = [];
  for (const kind of type === "ALL" ? DRILL_TYPES : [type]) {
    const targets = await targetsOf(deps, kind, resources);
    if (targets.length > 0) plan.push({ type: kind, targets });
  }
  if (plan.length === 0) {
    throw new ConfigError(
      `nothing to drill for ${type}: configure backup targets (EBS_VOLUME_IDS, RDS_INSTANCE_IDS, S3_SOURCE_BUCKETS or BACKUP_TAG) or pass resources`,
    );
  }
  if (plan.some((p) => p.type === "S3")) required(deps.settings, "backupBucket", "BACKUP_BUCKET");

  const minutes = deps.drillSettings.deadlineMinutes;
  const leaseUntil = new Date(startedAt.getTime() + minutes * 60_000 + CLEANUP_GRACE_MS);
  const held: DrillType[] = [];
  try {
    for (const { type: kind } of plan) {
      await deps.lock.acquire(kind, drillId, leaseUntil);
      held.push(kind);
    }
  } catch (error) {
    await Promise.allSettled(held.map((kind) => deps.lock.release(kind, drillId)));
    throw error;
  }

  const findings: Finding[] = [];
  let resourcesOut: DrillResource[];
  try {
    const perKind = await Promise.all(
      plan.map(async ({ type: kind, targets }) => {
        const deadline = startDeadline(deps.now(), minutes, options.signal);
        log.info({ drillId, type: kind, targets: targets.length }, "drill started");
        findings.push(...(await sweep(deps, kind)));
        const run: KindRun = { deps, drillId, deadline, waits: options.waits ?? {} };
        const out = await runKind(run, kind, targets);
        // `outcome`, not `status`: the FailedJobs metric filter counts `status` FAILED lines of backups.
        log.info({ drillId, type: kind, outcome: worst(out.map((r) => r.status)) }, "drill kind finished");
        return out;
      }),
    );
    resourcesOut = perKind.flat();
  } finally {
    await Promise.allSettled(held.map((kind) => deps.lock.release(kind, drillId)));
  }
  if (options.signal?.aborted) {
    findings.push(
      finding("WARNING", "drill", `aborted: ${abortReason(options.signal)}; scratch resources were deleted`),
    );
  }
  const finishedAt = deps.now();
  const drill: Drill = {
    schema: "backup.drill.v1",
    drillId,
    startedAt: startedAt.toISOString(),
    finishedAt: (finishedAt < startedAt ? startedAt : finishedAt).toISOString(),
    status: worst([statusOf(findings), ...resourcesOut.map((r) => r.status)]),
    resources: resourcesOut,
    findings,
    verification: {
      dbVerified: resourcesOut.some((r) => r.type === "RDS" && r.status === "SUCCEEDED"),
      securityCheck: true,
    },
  };
  // One line per drill for the FailedDrills metric filter (components/alerting.ts), published or not.
  log.info({ drillId, drillStatus: drill.status, resources: resourcesOut.length }, "restore drill finished");
  const failures: string[] = [];
  try {
    await deps.drills.put(drill);
  } catch (error) {
    failures.push(`history ${drillId}: ${messageOf(error)}`);
  }
  await publishEvent(deps, drill, failures);
  if (failures.length > 0) {
    throw new DrillDeliveryError(
      `drill ${drillId} could not be recorded or published: ${failures.join("; ")}`,
      drill,
    );
  }
  return drill;
}

/** The drill ran (its resources are gone) but its event was not recorded or published. */
export class DrillDeliveryError extends DroxError {
  constructor(
    message: string,
    readonly drill: Drill,
  ) {
    super(message, { retryable: true });
  }
}

export function isDrillBusy(error: unknown): error is DrillBusyError {
  return error instanceof DrillBusyError;
}

/**
 * The refusal a drill of `type` would meet now, without starting anything: the HTTP service answers
 * 409 with it instead of a 202 whose run fails at once. The lock still decides when the drill runs.
 */
export async function drillRefusal(
  type: DrillRunType,
  depsIn?: Partial<DrillDeps>,
): Promise<DrillBusyError | undefined> {
  const deps = createDrillDeps(depsIn ?? {});
  for (const kind of type === "ALL" ? DRILL_TYPES : [type]) {
    const holder = await deps.lock.current(kind);
    if (holder) return new DrillBusyError(kind, holder);
  }
  return undefined;
}
