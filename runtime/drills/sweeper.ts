/**
 * Leftovers of drills that could not clean up (a task killed outright, a delete that failed): before
 * each drill of a kind, every volume or DB instance carrying the drill tag whose tagged deadline has
 * passed is deleted and reported as a WARNING finding. Only tagged resources are ever looked at, and
 * only those past their deadline, so a drill still running elsewhere keeps its resources.
 */
import { paginateDescribeVolumes } from "@aws-sdk/client-ec2";
import { paginateDescribeDBInstances } from "@aws-sdk/client-rds";
import type { Finding } from "../contract/events";
import { messageOf } from "../jobs/result";
import type { DrillDeps } from "./context";
import { deleteDrillVolume } from "./ebs";
import { finding } from "./outcome";
import { deleteDrillInstance } from "./rds";
import { deadlineOf, DRILL_INSTANCE_PREFIX, DRILL_TAG, drillIdOf, type KeyValue } from "./tags";

/** The tagged deadline, or (tag lost) creation plus the configured deadline. */
function expiry(tags: readonly KeyValue[] | undefined, created: Date | undefined, minutes: number): Date {
  return deadlineOf(tags) ?? new Date((created?.getTime() ?? 0) + minutes * 60_000);
}

async function sweepOne(what: string, drillId: string, remove: () => Promise<void>): Promise<Finding> {
  try {
    await remove();
    return finding("WARNING", what, `left behind by drill ${drillId} past its deadline; deleted now`);
  } catch (error) {
    return finding(
      "WARNING",
      what,
      `left behind by drill ${drillId}; could not be deleted: ${messageOf(error)}`,
    );
  }
}

export async function sweepEbs(deps: DrillDeps, now: Date): Promise<Finding[]> {
  const findings: Finding[] = [];
  const pages = paginateDescribeVolumes(
    { client: deps.ec2 },
    { Filters: [{ Name: "tag-key", Values: [DRILL_TAG] }] },
  );
  for await (const page of pages) {
    for (const v of page.Volumes ?? []) {
      const drillId = drillIdOf(v.Tags);
      if (!v.VolumeId || !drillId) continue;
      if (expiry(v.Tags, v.CreateTime, deps.drillSettings.deadlineMinutes) > now) continue;
      const id = v.VolumeId;
      findings.push(await sweepOne(id, drillId, () => deleteDrillVolume(deps.ec2, id)));
    }
  }
  return findings;
}

export async function sweepRds(deps: DrillDeps, now: Date): Promise<Finding[]> {
  const findings: Finding[] = [];
  // DescribeDBInstances filters by identifier only, not by prefix or tag; TagList comes with each.
  for await (const page of paginateDescribeDBInstances({ client: deps.rds }, {})) {
    for (const db of page.DBInstances ?? []) {
      const id = db.DBInstanceIdentifier;
      const drillId = drillIdOf(db.TagList);
      if (!id?.startsWith(DRILL_INSTANCE_PREFIX) || !drillId || db.DBInstanceStatus === "deleting") continue;
      if (expiry(db.TagList, db.InstanceCreateTime, deps.drillSettings.deadlineMinutes) > now) continue;
      findings.push(await sweepOne(id, drillId, () => deleteDrillInstance(deps.rds, id)));
    }
  }
  return findings;
}
