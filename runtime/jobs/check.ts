/**
 * The integrity check (보안 점검): are the backups themselves sound? Own EBS snapshots completed and
 * encrypted, own RDS snapshots available and encrypted, every source object present and unchanged
 * in the backup bucket, and the backup bucket versioned, encrypted and closed to the public.
 * Only problems become findings; CRITICAL makes the check FAILED, WARNING makes it WARNING.
 */
import { paginateDescribeSnapshots } from "@aws-sdk/client-ec2";
import { paginateDescribeDBSnapshots } from "@aws-sdk/client-rds";
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { ulid } from "ulid";
import type { Finding, IntegrityCheck, Status } from "../events";
import type { JobDeps } from "./context";
import { awsErrorCode, messageOf } from "./result";
import { compareBackup } from "./s3-sync";
import { isManaged, MANAGED_TAG } from "./tags";

export interface CheckInput {
  /** Source buckets whose backups are compared. */
  readonly sourceBuckets: readonly string[];
}

interface Tally {
  findings: Finding[];
  checked: number;
}

async function checkEbs(deps: JobDeps, since: Date, tally: Tally): Promise<void> {
  const pages = paginateDescribeSnapshots(
    { client: deps.ec2 },
    { OwnerIds: ["self"], Filters: [{ Name: `tag:${MANAGED_TAG}`, Values: ["true"] }] },
  );
  for await (const page of pages) {
    for (const s of page.Snapshots ?? []) {
      if (!s.SnapshotId || !isManaged(s.Tags) || (s.StartTime && s.StartTime < since)) continue;
      tally.checked += 1;
      const resource = `${s.SnapshotId} (${s.VolumeId ?? "unknown volume"})`;
      if (s.State === "error") {
        tally.findings.push({
          severity: "CRITICAL",
          resource,
          message: `EBS snapshot failed: ${s.StateMessage ?? "state error"}`,
        });
      } else if (s.State !== "completed") {
        tally.findings.push({
          severity: "WARNING",
          resource,
          message: `EBS snapshot is ${s.State ?? "in an unknown state"}, not completed`,
        });
      }
      if (s.Encrypted !== true) {
        tally.findings.push({ severity: "WARNING", resource, message: "EBS snapshot is not encrypted" });
      }
    }
  }
}

async function checkRds(deps: JobDeps, since: Date, tally: Tally): Promise<void> {
  for await (const page of paginateDescribeDBSnapshots({ client: deps.rds }, { SnapshotType: "manual" })) {
    for (const s of page.DBSnapshots ?? []) {
      if (!s.DBSnapshotIdentifier || !isManaged(s.TagList)) continue;
      if (s.SnapshotCreateTime && s.SnapshotCreateTime < since) continue;
      tally.checked += 1;
      const resource = `${s.DBSnapshotIdentifier} (${s.DBInstanceIdentifier ?? "unknown instance"})`;
      if (s.Status === "failed" || s.Status === "incompatible-restore") {
        tally.findings.push({ severity: "CRITICAL", resource, message: `DB snapshot is ${s.Status}` });
      } else if (s.Status !== "available") {
        tally.findings.push({
          severity: "WARNING",
          resource,
          message: `DB snapshot is ${s.Status ?? "in an unknown state"}, not available`,
        });
      }
      if (s.Encrypted !== true) {
        tally.findings.push({ severity: "WARNING", resource, message: "DB snapshot is not encrypted" });
      }
    }
  }
}

async function checkS3(
  deps: JobDeps,
  backupBucket: string,
  sources: readonly string[],
  tally: Tally,
): Promise<void> {
  for (const sourceBucket of sources) {
    tally.checked += 1;
    try {
      const cmp = await compareBackup({
        s3: deps.s3,
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
          message: `${cmp.mismatchedCount} objects differ in size or ETag from the backup (e.g. ${cmp.mismatched.slice(0, 3).join(", ")})`,
        });
      }
    } catch (error) {
      tally.findings.push({
        severity: "CRITICAL",
        resource: `s3://${sourceBucket}`,
        message: `Backup could not be compared: ${messageOf(error)}`,
      });
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
  const steps: [string, () => Promise<void>][] = [
    ["EBS snapshots", () => checkEbs(deps, since, tally)],
    ["RDS snapshots", () => checkRds(deps, since, tally)],
  ];
  const backupBucket = deps.settings.backupBucket;
  if (backupBucket) {
    steps.push(["backup bucket", () => checkBucket(deps, backupBucket, tally)]);
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
  return {
    schema: "backup.check.v1",
    checkId: `check-${ulid(now.getTime())}`,
    checkedAt: now.toISOString(),
    status: statusOf(tally.findings),
    findings: tally.findings,
    checkedResources: tally.checked,
  };
}
