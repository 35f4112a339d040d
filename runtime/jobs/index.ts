/**
 * The jobs as the CLI, the scheduled ECS tasks and the HTTP service run them.
 */
import { ConfigError, DroxError, ValidationError } from "../contract/errors";
import type { BackupResult, IntegrityCheck, WeeklyReport } from "../contract/events";
import { required } from "../settings/jobs";
import { abortReason } from "./abort";
import { checkIntegrity } from "./check";
import { createJobDeps, type JobDeps } from "./context";
import { backupEbsVolumes, type EbsOptions } from "./ebs";
import { backupRdsInstances, type RdsOptions } from "./rds";
import { withRetryOf } from "./follow-up";
import { DeliveryError, publishEvent, recordResult } from "./record";
import { applyRetention } from "./retention";
import type { JobIdFor } from "./result";
import { assertRunId, runJobId } from "./run-ids";
import { backupS3Buckets, type S3Options, type S3ProgressEvent } from "./s3";
import { ebsTargets, rdsTargets, s3Targets } from "./targets";
import { defaultDrillHistory, drillSection, type DrillHistory } from "../drills/history";
import { readDrillEnabled } from "../drills/settings";
import { buildWeekly, type Built, type Outlets, publishWithChart } from "../reports";
import { weekPeriod } from "./report";
import { outletsFromEnv } from "../reports/upload";

export { createJobDeps, type JobDeps } from "./context";
export { DeliveryError } from "./record";
export type { S3ProgressEvent } from "./s3";
export { ABORTED_CODE } from "./abort";
export { runJobId, runIdOf, runJobPrefix, runStartedAt } from "./run-ids";
export { weekPeriod, aggregateWeek } from "./report";
export { applyRetention } from "./retention";

export const RUN_TYPES = ["EBS", "RDS", "S3", "ALL"] as const;
export type RunType = (typeof RUN_TYPES)[number];

export interface RunOptions {
  /** Explicit targets for one type; replaces the configured ones. */
  readonly resources?: readonly string[];
  readonly onProgress?: (progress: S3ProgressEvent) => void;
  readonly ebs?: EbsOptions;
  readonly rds?: RdsOptions;
  /** Multipart copy bounds for the S3 sync (tests lower them). */
  readonly s3?: Pick<S3Options, "multipartThresholdBytes" | "partSizeBytes">;
  /** Skip deleting expired snapshots after the run. @default false */
  readonly skipRetention?: boolean;
  /**
   * Ends the run early (service shutdown, SIGTERM): waits and the S3 sync stop, and every resource
   * not finished by then gets a FAILED result with code `Aborted`, still recorded and published.
   * Retention is skipped.
   */
  readonly signal?: AbortSignal;
  /**
   * Names the run so its results can be found: the n-th resource of the plan (EBS targets, then
   * RDS, then S3, each in target order) gets job id `<runId>-<n>`, n from 1 (./run-ids.ts).
   * Without it every result gets its own ULID.
   */
  readonly runId?: string;
}

function resolveDeps(deps?: Partial<JobDeps>): JobDeps {
  return createJobDeps(deps ?? {});
}

function finishDeliveries(results: BackupResult[], failures: string[]): BackupResult[] {
  if (failures.length > 0) {
    throw new DeliveryError(
      `${failures.length} result(s) could not be recorded or published: ${failures.join("; ")}`,
      results,
      failures,
    );
  }
  return results;
}

/**
 * Backs up the targets of one type (or all): each resource's result is recorded in the history and
 * published as it finishes. Own snapshots past retention are deleted afterwards.
 */
export async function runBackups(
  type: RunType,
  options: RunOptions = {},
  depsIn?: Partial<JobDeps>,
): Promise<BackupResult[]> {
  if (!(RUN_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(
      `unknown backup type "${String(type)}": valid types are ${RUN_TYPES.join(", ")}`,
      [{ field: "type", problem: `must be one of ${RUN_TYPES.join(", ")}` }],
    );
  }
  const resources = options.resources?.filter((r) => r.trim().length > 0);
  if (type === "ALL" && resources && resources.length > 0) {
    throw new ValidationError("resources need a single backup type (EBS, RDS or S3), not ALL", [
      { field: "resources", problem: "requires type EBS, RDS or S3" },
    ]);
  }
  if (options.runId !== undefined) assertRunId(options.runId);
  const deps = resolveDeps(depsIn);
  const log = deps.logger;
  const wanted = type === "ALL" ? (["EBS", "RDS", "S3"] as const) : ([type] as const);
  const plan: { kind: "EBS" | "RDS" | "S3"; targets: string[] }[] = [];
  for (const kind of wanted) {
    const targets =
      kind === "EBS"
        ? await ebsTargets(deps, resources)
        : kind === "RDS"
          ? await rdsTargets(deps, resources)
          : await s3Targets(deps, resources);
    if (targets.length > 0) plan.push({ kind, targets });
  }
  if (plan.length === 0) {
    const hint =
      type === "ALL"
        ? "set EBS_VOLUME_IDS, RDS_INSTANCE_IDS, S3_SOURCE_BUCKETS or BACKUP_TAG"
        : `set ${{ EBS: "EBS_VOLUME_IDS", RDS: "RDS_INSTANCE_IDS", S3: "S3_SOURCE_BUCKETS" }[type]} or BACKUP_TAG, or pass resources`;
    throw new ConfigError(`nothing to back up for ${type}: ${hint}`);
  }
  const backupBucket = plan.some((p) => p.kind === "S3")
    ? required(deps.settings, "backupBucket", "BACKUP_BUCKET")
    : undefined;

  const { signal, runId } = options;
  const allocated = new Map<string, string>();
  if (runId !== undefined) {
    let n = 0;
    for (const { kind, targets } of plan)
      for (const target of targets) allocated.set(`${kind}:${target}`, runJobId(runId, ++n));
  }
  const jobIdFor =
    (kind: string): JobIdFor =>
    (resource) =>
      allocated.get(`${kind}:${resource}`);
  const results: BackupResult[] = [];
  const failures: string[] = [];
  for (const { kind, targets } of plan) {
    log.info({ type: kind, targets: targets.length }, "backup started");
    const batch =
      kind === "EBS"
        ? await backupEbsVolumes(deps, targets, options.ebs, signal, jobIdFor(kind))
        : kind === "RDS"
          ? await backupRdsInstances(deps, targets, options.rds, signal, jobIdFor(kind))
          : await backupS3Buckets(deps, backupBucket ?? "", targets, {
              ...options.s3,
              onProgress: options.onProgress,
              signal,
              jobIdFor: jobIdFor(kind),
            });
    for (const finished of batch) {
      // A success after a failure of the same resource follows it up (runtime/jobs/follow-up.ts).
      const result = await withRetryOf(deps, finished);
      await recordResult(deps, result, failures);
      log.info(
        { jobId: result.jobId, type: result.type, resource: result.resource, status: result.status },
        "backup finished",
      );
      results.push(result);
    }
  }
  if (signal?.aborted) {
    // Deleting snapshots is no job for a process about to be stopped; the next run does it.
    log.warn({ reason: abortReason(signal) }, "backup run aborted: retention skipped");
  } else if (!options.skipRetention) {
    const kinds = plan.flatMap((p) => (p.kind === "S3" ? [] : [p.kind]));
    if (kinds.length > 0) await applyRetention(deps, kinds);
  }
  return finishDeliveries(results, failures);
}

/** Checks the backups themselves and publishes `backup.check.v1`. */
export async function runIntegrityCheck(depsIn?: Partial<JobDeps>): Promise<IntegrityCheck> {
  const deps = resolveDeps(depsIn);
  const sourceBuckets = deps.settings.backupBucket ? await s3Targets(deps) : [];
  const check = await checkIntegrity(deps, { sourceBuckets });
  const failures: string[] = [];
  await publishEvent(deps, check, failures);
  if (failures.length > 0)
    throw new DroxError(`integrity check could not be published: ${failures.join("; ")}`, {
      retryable: true,
    });
  deps.logger.info(
    { checkId: check.checkId, status: check.status, findings: check.findings.length },
    "integrity check finished",
  );
  return check;
}

export interface WeeklyReportOptions {
  /** Any instant on the report's date (display time zone). @default now */
  readonly at?: Date;
  /** Where the period's restore drills are read from. @default the history table's drill items */
  readonly drills?: DrillHistory;
  /** Whether drills are switched on (a week without one is then reported). @default DRILL_ENABLED */
  readonly drillsEnabled?: boolean;
  /** Where the chart goes. @default Notion when the environment has its token, else nowhere */
  readonly outlets?: Outlets;
}

/** Aggregates the seven days before the report's date from the history, with the last 8 weeks' rates. */
export async function buildWeeklyReport(
  options: WeeklyReportOptions = {},
  depsIn?: Partial<JobDeps>,
): Promise<WeeklyReport> {
  return (await buildWeeklyWithDrills(options, resolveDeps(depsIn))).report;
}

/** Builds the weekly report, sends its chart where it can go and publishes `backup.report.v1`. */
export async function sendWeeklyReport(
  options: WeeklyReportOptions = {},
  depsIn?: Partial<JobDeps>,
): Promise<WeeklyReport> {
  const deps = resolveDeps(depsIn);
  const outlets = options.outlets ?? (await outletsFromEnv());
  return publishWithChart(deps, await buildWeeklyWithDrills(options, deps), outlets);
}

/**
 * The weekly report and its chart, with the 복구 테스트 section where drills ran or should have:
 * what the scheduled `report weekly`, the API and the CLI all publish.
 */
export async function buildWeeklyWithDrills(
  options: WeeklyReportOptions,
  deps: JobDeps,
): Promise<Built<WeeklyReport>> {
  const built = await buildWeekly(deps, options.at);
  const period = weekPeriod(options.at ?? deps.now(), deps.settings.displayTimeZone);
  const drills = await drillSection(
    options.drills ?? defaultDrillHistory(deps.settings),
    period,
    options.drillsEnabled ?? readDrillEnabled(),
    deps.logger,
  );
  return drills ? { ...built, report: { ...built.report, drills } } : built;
}
