/**
 * The integrity check (보안 점검): are the backups themselves sound? Own EBS snapshots completed and
 * encrypted, own RDS snapshots available and encrypted, every source object present and unchanged
 * in the backup bucket, and the backup bucket versioned, encrypted and closed to the public.
 * With DR_REGION, the same for the DR copies there, and every recent own snapshot must have its
 * copy: copies are started by the jobs but not awaited (they can take hours), so this is where a
 * copy that never completes, or was never made, shows up. Likewise an own snapshot the job left
 * `SnapshotPending` (still in progress when its wait ran out) is reported if it is not done
 * within SNAPSHOT_PENDING_GRACE_HOURS.
 * Only problems become findings; CRITICAL makes the check FAILED, WARNING makes it WARNING.
 */
import { paginateDescribeSnapshots, type EC2Client } from "@aws-sdk/client-ec2";
import { paginateDescribeDBSnapshots, type RDSClient } from "@aws-sdk/client-rds";
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { ulid } from "ulid";
import { s3ClientForBucket } from "../aws/clients";
import type { Finding, IntegrityCheck, Status } from "../contract/events";
import type { JobDeps } from "./context";
import { awsErrorCode, messageOf } from "./result";
import { SNAPSHOT_PENDING_GRACE_HOURS } from "./pending";
import { recordResult } from "./record";
import { followUpS3Batch } from "./s3";
import { compareBackup, type CompareBackupResult } from "./s3-sync";
import { followUpDrCopies, followUpPending } from "./follow-up";
import { COPY_OF_TAG, isManaged, JOB_ID_TAG, MANAGED_TAG, SOURCE_TAG } from "./tags";

const HOUR_MS = 3_600_000;

export interface CheckInput {
  /** Source buckets whose backups are compared. */
  readonly sourceBuckets: readonly string[];
}

interface Tally {
  findings: Finding[];
  checked: number;
}

/** An own snapshot as the DR comparison needs it. */
interface OwnSnapshot {
  readonly resource: string;
  readonly createdAt?: Date;
  readonly done: boolean;
  /** What a DR copy of it carries in COPY_OF_TAG. */
  readonly copyKey?: string;
  /** COPY_OF_TAG of this snapshot, when it is itself a copy. */
  readonly copyOf?: string;
  /** The job that made it (JOB_ID_TAG), for follow-ups of a pending snapshot. */
  readonly jobId?: string;
  /** Why it failed, when it did. */
  readonly failure?: string;
}

/** Where snapshots are looked at: the primary region, or the DR region (copies). */
interface Scope {
  readonly since: Date;
  readonly now: Date;
  /** Set for the DR region: its name, used in resources and messages. */
  readonly drRegion?: string;
}

function tagValue(tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) {
  // Stryker disable next-line OptionalChaining: only snapshots isManaged accepted are read, and their tag list exists
  return tags?.find((t) => t.Key === key)?.Value;
}

/**
 * A snapshot or copy in progress within the grace period is fine: the job reported it as
 * `SnapshotPending` (or started the copy without waiting for it). After it, it is late.
 */
function pendingFinding(
  scope: Scope,
  kind: "EBS snapshot" | "DB snapshot",
  state: string | undefined,
  wanted: string,
  createdAt: Date | undefined,
): string | undefined {
  const shown = state ?? "in an unknown state";
  const ageHours = createdAt ? (scope.now.getTime() - createdAt.getTime()) / HOUR_MS : Infinity;
  if (ageHours < SNAPSHOT_PENDING_GRACE_HOURS) return undefined;
  const age = Number.isFinite(ageHours) ? ` after ${Math.floor(ageHours)} h` : "";
  const what = scope.drRegion ? `${kind} DR copy` : kind;
  return `${what} is still ${shown}${age}, not ${wanted}`;
}

async function checkEbs(
  ec2: EC2Client,
  scope: Scope,
  tally: Tally,
  sourceRegion: string | undefined,
): Promise<OwnSnapshot[]> {
  const own: OwnSnapshot[] = [];
  const where = scope.drRegion ? ` in ${scope.drRegion}` : "";
  const kind = scope.drRegion ? "EBS DR copy" : "EBS snapshot";
  const pages = paginateDescribeSnapshots(
    { client: ec2 },
    { OwnerIds: ["self"], Filters: [{ Name: `tag:${MANAGED_TAG}`, Values: ["true"] }] },
  );
  for await (const page of pages) {
    // Stryker disable next-line ArrayDeclaration: a stand-in element has no SnapshotId and is skipped like none
    for (const s of page.Snapshots ?? []) {
      if (!s.SnapshotId || !isManaged(s.Tags) || (s.StartTime && s.StartTime < scope.since)) continue;
      tally.checked += 1;
      // A copy's VolumeId is a placeholder; the source tag names the real volume.
      const volume = tagValue(s.Tags, SOURCE_TAG) ?? s.VolumeId ?? "unknown volume";
      const resource = `${s.SnapshotId} (${volume})${where}`;
      own.push({
        resource,
        createdAt: s.StartTime,
        done: s.State === "completed",
        copyKey: sourceRegion ? `${sourceRegion}/${s.SnapshotId}` : undefined,
        copyOf: tagValue(s.Tags, COPY_OF_TAG),
        jobId: tagValue(s.Tags, JOB_ID_TAG),
        failure: s.State === "error" ? (s.StateMessage ?? "state error") : undefined,
      });
      if (s.State === "error") {
        tally.findings.push({
          severity: "CRITICAL",
          resource,
          message: `${kind} failed: ${s.StateMessage ?? "state error"}`,
        });
      } else if (s.State !== "completed") {
        const message = pendingFinding(scope, "EBS snapshot", s.State, "completed", s.StartTime);
        if (message) tally.findings.push({ severity: "WARNING", resource, message });
      }
      if (s.Encrypted !== true) {
        tally.findings.push({ severity: "WARNING", resource, message: `${kind} is not encrypted` });
      }
    }
  }
  return own;
}

async function checkRds(rds: RDSClient, scope: Scope, tally: Tally): Promise<OwnSnapshot[]> {
  const own: OwnSnapshot[] = [];
  const where = scope.drRegion ? ` in ${scope.drRegion}` : "";
  const kind = scope.drRegion ? "DB snapshot DR copy" : "DB snapshot";
  for await (const page of paginateDescribeDBSnapshots({ client: rds }, { SnapshotType: "manual" })) {
    // Stryker disable next-line ArrayDeclaration: a stand-in element has no DBSnapshotIdentifier and is skipped like none
    for (const s of page.DBSnapshots ?? []) {
      if (!s.DBSnapshotIdentifier || !isManaged(s.TagList)) continue;
      if (s.SnapshotCreateTime && s.SnapshotCreateTime < scope.since) continue;
      tally.checked += 1;
      const resource = `${s.DBSnapshotIdentifier} (${s.DBInstanceIdentifier ?? "unknown instance"})${where}`;
      own.push({
        resource,
        createdAt: s.SnapshotCreateTime,
        done: s.Status === "available",
        copyKey: s.DBSnapshotArn,
        copyOf: tagValue(s.TagList, COPY_OF_TAG),
        jobId: tagValue(s.TagList, JOB_ID_TAG),
        failure: s.Status === "failed" ? "DB snapshot failed" : undefined,
      });
      if (s.Status === "failed" || s.Status === "incompatible-restore") {
        tally.findings.push({ severity: "CRITICAL", resource, message: `${kind} is ${s.Status}` });
      } else if (s.Status !== "available") {
        const message = pendingFinding(scope, "DB snapshot", s.Status, "available", s.SnapshotCreateTime);
        if (message) tally.findings.push({ severity: "WARNING", resource, message });
      }
      if (s.Encrypted !== true) {
        tally.findings.push({ severity: "WARNING", resource, message: `${kind} is not encrypted` });
      }
    }
  }
  return own;
}

/**
 * Every completed own snapshot the DR region should still hold a copy of (younger than both
 * retentions, and older than one job's wait, after which the job starts the copy) has one there.
 */
function checkCopiesExist(
  kind: "EBS snapshot" | "DB snapshot",
  primary: readonly OwnSnapshot[],
  copies: readonly OwnSnapshot[],
  drRegion: string,
  copiedBefore: Date,
  tally: Tally,
): void {
  // Stryker disable next-line ArrayDeclaration: a stand-in string in the set equals no copy key (a region/snapshot id or an ARN)
  const copied = new Set(copies.flatMap((c) => (c.copyOf ? [c.copyOf] : [])));
  for (const s of primary) {
    if (!s.done || !s.copyKey || !s.createdAt || s.createdAt > copiedBefore) continue;
    if (copied.has(s.copyKey)) continue;
    tally.findings.push({
      severity: "WARNING",
      resource: s.resource,
      message: `${kind} has no copy in the DR region ${drRegion}`,
    });
  }
}

/**
 * Copies the check can neither call intact nor mismatched: it says so, and what happens next (the
 * next S3 run copies them again with their source ETag, unless the stored pairs are unreadable).
 */
function unverifiedFinding(cmp: CompareBackupResult): string {
  const which = `${cmp.unverifiedCount} of ${cmp.sourceCount} objects could not be verified against their backup copy (e.g. ${cmp.unverified.slice(0, 3).join(", ")})`;
  if (cmp.pairsUnreadable !== undefined) {
    return `${which}: the stored pairs of ETags that record which source version each copy holds could not be read (${cmp.pairsUnreadable})`;
  }
  return `${which}: nothing records which source version each copy holds (pairs of ETags lost or not yet stored, no source ETag in the copy's metadata); the next S3 backup run copies them again`;
}

async function checkS3(
  deps: JobDeps,
  backupBucket: string,
  sources: readonly string[],
  tally: Tally,
): Promise<void> {
  for (const sourceBucket of sources) {
    tally.checked += 1;
    // An S3 Batch Operations copy job of the bucket: its final result is published here once it
    // has ended; while it runs, the backup is incomplete by design and is not compared yet.
    const batch = await followUpS3Batch(deps, backupBucket, sourceBucket);
    if (batch.running) {
      tally.findings.push({
        severity: "WARNING",
        resource: `s3://${sourceBucket}`,
        // Stryker disable next-line StringLiteral: a running job's follow-up always carries its in-progress result (batchFollowUpResult)
        message: batch.result?.error?.message ?? "An S3 Batch Operations copy job is in progress",
      });
      continue;
    }
    if (batch.result) {
      const failures: string[] = [];
      await recordResult(deps, batch.result, failures);
      for (const failure of failures) {
        tally.findings.push({
          severity: "WARNING",
          resource: `s3://${sourceBucket}`,
          message: `The S3 Batch Operations job's final result could not be delivered: ${failure}`,
        });
      }
    }
    const sourceS3 = await s3ClientForBucket(deps.s3, sourceBucket);
    try {
      const cmp = await compareBackup({
        s3: deps.s3,
        sourceS3,
        sourceBucket,
        backupBucket,
        concurrency: deps.settings.s3SyncConcurrency,
        signal: AbortSignal.timeout(deps.settings.jobTimeoutSeconds * 1000),
      });
      if (cmp.missingCount > 0) {
        tally.findings.push({
          severity: "WARNING",
          resource: `s3://${sourceBucket}`,
          message: `${cmp.missingCount} of ${cmp.sourceCount} objects missing from the backup (e.g. ${cmp.missing.slice(0, 3).join(", ")})`,
        });
      }
      if (cmp.mismatchedCount > 0) {
        tally.findings.push({
          severity: "WARNING",
          resource: `s3://${sourceBucket}`,
          message: `${cmp.mismatchedCount} of ${cmp.sourceCount} objects no longer match their backup copy (e.g. ${cmp.mismatched.slice(0, 3).join(", ")})`,
        });
      }
      if (cmp.unverifiedCount > 0) {
        tally.findings.push({
          severity: "WARNING",
          resource: `s3://${sourceBucket}`,
          message: unverifiedFinding(cmp),
        });
      }
    } catch (error) {
      tally.findings.push({
        severity: "CRITICAL",
        resource: `s3://${sourceBucket}`,
        message: `Backup could not be compared: ${messageOf(error)}`,
      });
    } finally {
      // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: destroy() only closes the other region's client's sockets, which no check result shows
      if (sourceS3 !== deps.s3) sourceS3.destroy();
    }
  }
}

async function checkBucket(deps: JobDeps, bucket: string, tally: Tally): Promise<void> {
  tally.checked += 1;
  const resource = `s3://${bucket}`;
  try {
    const versioning = await deps.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (versioning.Status !== "Enabled") {
      tally.findings.push({
        severity: "WARNING",
        resource,
        message: "Backup bucket versioning is not enabled",
      });
    }
  } catch (error) {
    tally.findings.push({
      severity: "CRITICAL",
      resource,
      message: `Backup bucket cannot be read: ${messageOf(error)}`,
    });
    return;
  }
  try {
    const enc = await deps.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    if ((enc.ServerSideEncryptionConfiguration?.Rules ?? []).length === 0) {
      tally.findings.push({
        severity: "WARNING",
        resource,
        message: "Backup bucket has no default encryption",
      });
    }
  } catch (error) {
    const code = awsErrorCode(error);
    tally.findings.push({
      severity: "WARNING",
      resource,
      message:
        code === "ServerSideEncryptionConfigurationNotFoundError"
          ? "Backup bucket has no default encryption"
          : `Backup bucket encryption unknown: ${messageOf(error)}`,
    });
  }
  try {
    const pab = await deps.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const c = pab.PublicAccessBlockConfiguration;
    const blocked =
      c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets;
    if (!blocked) {
      tally.findings.push({
        severity: "CRITICAL",
        resource,
        message: "Backup bucket does not block all public access",
      });
    }
  } catch (error) {
    const code = awsErrorCode(error);
    tally.findings.push({
      severity: "CRITICAL",
      resource,
      message:
        code === "NoSuchPublicAccessBlockConfiguration"
          ? "Backup bucket has no public access block"
          : `Backup bucket public access block unknown: ${messageOf(error)}`,
    });
  }
}

export function statusOf(findings: readonly Finding[]): Status {
  if (findings.some((f) => f.severity === "CRITICAL")) return "FAILED";
  if (findings.some((f) => f.severity === "WARNING")) return "WARNING";
  return "SUCCEEDED";
}

/** Runs every check; an AWS call failing becomes a CRITICAL finding, never a crashed check. */
export async function checkIntegrity(deps: JobDeps, input: CheckInput): Promise<IntegrityCheck> {
  const now = deps.now();
  // "Recent" is the retention window: everything we still keep must be sound.
  const since = new Date(now.getTime() - deps.settings.retentionDays * 86_400_000);
  const tally: Tally = { findings: [], checked: 0 };
  const { drRegion, drRetentionDays, retentionDays, jobTimeoutSeconds } = deps.settings;
  const { drEc2, drRds } = deps;
  const sourceRegion = drRegion ? (deps.settings.region ?? (await deps.ec2.config.region())) : undefined;
  const primary: { ebs: OwnSnapshot[]; rds: OwnSnapshot[] } = { ebs: [], rds: [] };
  const drCopies: OwnSnapshot[] = [];
  const steps: [string, () => Promise<void>][] = [
    [
      "EBS snapshots",
      async () => {
        primary.ebs = await checkEbs(deps.ec2, { since, now }, tally, sourceRegion);
      },
    ],
    [
      "RDS snapshots",
      async () => {
        primary.rds = await checkRds(deps.rds, { since, now }, tally);
      },
    ],
  ];
  if (drRegion && drEc2 && drRds) {
    const dr: Scope = { since: new Date(now.getTime() - drRetentionDays * 86_400_000), now, drRegion };
    // Copies are expected only of snapshots the DR region still keeps, and that the job has had
    // time to copy (it starts the copy once the snapshot completes, within JOB_TIMEOUT_SECONDS).
    const keptSince = new Date(now.getTime() - Math.min(retentionDays, drRetentionDays) * 86_400_000);
    const copiedBefore = new Date(now.getTime() - jobTimeoutSeconds * 1000);
    const recent = (list: OwnSnapshot[]) => list.filter((s) => !s.createdAt || s.createdAt >= keptSince);
    steps.push([
      `EBS snapshots in ${drRegion}`,
      async () => {
        const copies = await checkEbs(drEc2, dr, tally, undefined);
        drCopies.push(...copies);
        checkCopiesExist("EBS snapshot", recent(primary.ebs), copies, drRegion, copiedBefore, tally);
      },
    ]);
    steps.push([
      `RDS snapshots in ${drRegion}`,
      async () => {
        const copies = await checkRds(drRds, dr, tally);
        drCopies.push(...copies);
        checkCopiesExist("DB snapshot", recent(primary.rds), copies, drRegion, copiedBefore, tally);
      },
    ]);
  }
  const backupBucket = deps.settings.backupBucket;
  if (backupBucket) {
    // Stryker disable next-line StringLiteral: never shown, checkBucket catches every request's failure into its own finding
    steps.push(["backup bucket", () => checkBucket(deps, backupBucket, tally)]);
    // Stryker disable next-line StringLiteral: never shown, checkS3 catches each bucket's failures (batch follow-up, region lookup, comparison) into findings
    steps.push(["S3 backups", () => checkS3(deps, backupBucket, input.sourceBuckets, tally)]);
  }
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      tally.findings.push({
        severity: "CRITICAL",
        resource: name,
        message: `Check could not run: ${messageOf(error)}`,
      });
    }
  }
  // Pending snapshots of the primary region now done or failed: follow-ups in their jobs' threads.
  const outcomes = [...primary.ebs, ...primary.rds].flatMap((s) =>
    // Stryker disable next-line ArrayDeclaration: a stand-in outcome is neither done nor failed, so followUpPending skips it
    s.jobId ? [{ jobId: s.jobId, done: s.done, failure: s.failure }] : [],
  );
  const undelivered = await followUpPending(deps, outcomes).catch((error: unknown) => [messageOf(error)]);
  // DR copies the jobs started without waiting, now all completed (or one failed): likewise.
  const copied = drCopies.flatMap((s) =>
    // Stryker disable next-line ArrayDeclaration: a stand-in outcome is not done, so its (undefined) job waits like one in progress
    s.jobId ? [{ jobId: s.jobId, done: s.done, failure: s.failure }] : [],
  );
  undelivered.push(...(await followUpDrCopies(deps, copied).catch((error: unknown) => [messageOf(error)])));
  for (const problem of undelivered) {
    tally.findings.push({
      severity: "WARNING",
      resource: "follow-ups",
      message: `Follow-up not delivered: ${problem}`,
    });
  }
  return {
    schema: "backup.check.v1",
    checkId: `check-${ulid(now.getTime())}`,
    checkedAt: now.toISOString(),
    status: statusOf(tally.findings),
    findings: tally.findings,
    checkedResources: tally.checked,
  };
}
