/**
 * Retention: deletes this tool's own snapshots (tag drox-backup:managed=true) older than the
 * configured days, in the primary region (RETENTION_DAYS) and the DR region (DR_RETENTION_DAYS).
 * Nothing without the tag is ever deleted, whatever its age or name.
 */
import { DeleteSnapshotCommand, paginateDescribeSnapshots, type EC2Client } from "@aws-sdk/client-ec2";
import { DeleteDBSnapshotCommand, paginateDescribeDBSnapshots, type RDSClient } from "@aws-sdk/client-rds";
import type { JobDeps } from "./context";
import { messageOf } from "./result";
import { isManaged, MANAGED_TAG } from "./tags";

export interface RetentionReport {
  readonly deleted: string[];
  readonly failed: { id: string; message: string }[];
}

export async function expireEbsSnapshots(
  ec2: EC2Client,
  cutoff: Date,
  report: RetentionReport,
): Promise<void> {
  const pages = paginateDescribeSnapshots(
    { client: ec2 },
    { OwnerIds: ["self"], Filters: [{ Name: `tag:${MANAGED_TAG}`, Values: ["true"] }] },
  );
  for await (const page of pages) {
    // Stryker disable next-line ArrayDeclaration: a page without the list has nothing to expire either way
    for (const snapshot of page.Snapshots ?? []) {
      // The filter already selects ours; the tag is checked again so a filter ignored by an
      // endpoint can never widen what is deleted.
      if (!snapshot.SnapshotId || !isManaged(snapshot.Tags) || !snapshot.StartTime) continue;
      if (snapshot.StartTime >= cutoff) continue;
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.SnapshotId }));
        report.deleted.push(snapshot.SnapshotId);
      } catch (error) {
        report.failed.push({ id: snapshot.SnapshotId, message: messageOf(error) });
      }
    }
  }
}

export async function expireRdsSnapshots(
  rds: RDSClient,
  cutoff: Date,
  report: RetentionReport,
): Promise<void> {
  for await (const page of paginateDescribeDBSnapshots({ client: rds }, { SnapshotType: "manual" })) {
    // Stryker disable next-line ArrayDeclaration: a page without the list has nothing to expire either way
    for (const snapshot of page.DBSnapshots ?? []) {
      const id = snapshot.DBSnapshotIdentifier;
      if (!id || !isManaged(snapshot.TagList) || !snapshot.SnapshotCreateTime) continue;
      if (snapshot.SnapshotCreateTime >= cutoff) continue;
      try {
        await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
        report.deleted.push(id);
      } catch (error) {
        report.failed.push({ id, message: messageOf(error) });
      }
    }
  }
}

function cutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/** Applies retention for the given kinds in both regions; errors are reported, not thrown. */
export async function applyRetention(
  deps: JobDeps,
  kinds: readonly ("EBS" | "RDS")[],
): Promise<RetentionReport> {
  const report: RetentionReport = { deleted: [], failed: [] };
  const now = deps.now();
  const primary = cutoff(now, deps.settings.retentionDays);
  const dr = cutoff(now, deps.settings.drRetentionDays);
  const steps: [string, () => Promise<void>][] = [];
  if (kinds.includes("EBS")) {
    steps.push(["EBS", () => expireEbsSnapshots(deps.ec2, primary, report)]);
    const drEc2 = deps.drEc2;
    if (drEc2) steps.push(["EBS (DR)", () => expireEbsSnapshots(drEc2, dr, report)]);
  }
  if (kinds.includes("RDS")) {
    steps.push(["RDS", () => expireRdsSnapshots(deps.rds, primary, report)]);
    const drRds = deps.drRds;
    if (drRds) steps.push(["RDS (DR)", () => expireRdsSnapshots(drRds, dr, report)]);
  }
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      report.failed.push({ id: name, message: messageOf(error) });
    }
  }
  deps.logger.info({ deleted: report.deleted.length, failed: report.failed }, "retention applied");
  return report;
}
