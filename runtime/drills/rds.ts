/**
 * RDS drill: the newest available own DB snapshot of each instance is restored into a scratch
 * instance `drox-drill-<short id>-<n>` — the smallest class the engine allows (or
 * DRILL_DB_INSTANCE_CLASS), no public access, the source's subnet group and security groups,
 * deletion protection off, tagged as the drill's — awaited until `available` within the drill's
 * deadline, checked (engine, version, storage encryption) and deleted without a final snapshot.
 * A restore that succeeded is what sets `verification.dbVerified` on the drill's event.
 */
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  paginateDescribeDBSnapshots,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  type RDSClient,
} from "@aws-sdk/client-rds";
import pLimit from "p-limit";
import type { DrillResource, Finding } from "../contract/events";
import { awsErrorCode, messageOf } from "../jobs/result";
import { isManaged } from "../jobs/tags";
import type { KindRun } from "./context";
import { isOver, pollUntil, stopReason } from "./deadline";
import { finding, statusOf } from "./outcome";
import { DRILL_INSTANCE_PREFIX, drillIdOf, drillInstanceId, drillTags } from "./tags";

/** Instance statuses that never become `available`: waiting longer cannot help. */
const DEAD_STATUSES = new Set([
  "failed",
  "incompatible-restore",
  "incompatible-parameters",
  "incompatible-network",
  "storage-full",
  "deleting",
]);

/** The newest available snapshot drox-backup took of the instance, if any. */
export async function newestDbSnapshot(rds: RDSClient, instanceId: string): Promise<DBSnapshot | undefined> {
  let newest: DBSnapshot | undefined;
  const pages = paginateDescribeDBSnapshots(
    { client: rds },
    { DBInstanceIdentifier: instanceId, SnapshotType: "manual" },
  );
  for await (const page of pages) {
    for (const s of page.DBSnapshots ?? []) {
      if (s.Status !== "available" || !isManaged(s.TagList)) continue;
      if (!newest || (s.SnapshotCreateTime?.getTime() ?? 0) > (newest.SnapshotCreateTime?.getTime() ?? 0))
        newest = s;
    }
  }
  return newest;
}

async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === "DBInstanceNotFoundFault" || code === "DBInstanceNotFound") return undefined;
    throw error;
  }
}

const SIZES = ["micro", "small", "medium", "large", "xlarge"];

/** Orders classes small first: size word, then the multiplier of `Nxlarge`, burstable first. */
function classRank(instanceClass: string): number {
  const [, family = "", size = ""] = instanceClass.split(".");
  const n = /^(\d+)xlarge$/.exec(size);
  const bySize = n ? 4 + Number(n[1]) : SIZES.indexOf(size) === -1 ? 1_000 : SIZES.indexOf(size);
  return bySize * 10 + (family.startsWith("t") ? 0 : 1);
}

/**
 * DRILL_DB_INSTANCE_CLASS, or the smallest class RDS offers for the snapshot's engine and version
 * (DescribeOrderableDBInstanceOptions), or the source's class when RDS lists none.
 */
export async function drillInstanceClass(
  rds: RDSClient,
  snapshot: DBSnapshot,
  configured: string | undefined,
  fallback: string | undefined,
): Promise<string> {
  if (configured) return configured;
  const classes = new Set<string>();
  try {
    const out = await rds.send(
      new DescribeOrderableDBInstanceOptionsCommand({
        Engine: snapshot.Engine ?? "",
        EngineVersion: snapshot.EngineVersion,
        MaxRecords: 100,
      }),
    );
    for (const o of out.OrderableDBInstanceOptions ?? [])
      if (o.DBInstanceClass) classes.add(o.DBInstanceClass);
  } catch {
    // Engines RDS does not list this way fall back to the source's class.
  }
  const smallest = [...classes].sort((a, b) => classRank(a) - classRank(b) || a.localeCompare(b))[0];
  return smallest ?? fallback ?? "db.t3.micro";
}

/**
 * Deletes a scratch instance without a final snapshot, after checking its name and tag: the code
 * never deletes an instance it did not create (the task role's IAM condition says the same).
 */
export async function deleteDrillInstance(rds: RDSClient, instanceId: string): Promise<void> {
  if (!instanceId.startsWith(DRILL_INSTANCE_PREFIX))
    throw new Error(`${instanceId} is not a drill instance; not deleted`);
  const instance = await describeInstance(rds, instanceId);
  if (!instance || instance.DBInstanceStatus === "deleting") return;
  if (!drillIdOf(instance.TagList)) throw new Error(`${instanceId} carries no drill tag; not deleted`);
  await rds.send(
    new DeleteDBInstanceCommand({
      DBInstanceIdentifier: instanceId,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    }),
  );
}

async function drillOne(run: KindRun, instanceId: string, n: number): Promise<DrillResource> {
  const { deps, deadline } = run;
  const minutes = deps.drillSettings.deadlineMinutes;
  const findings: Finding[] = [];
  const done = (extra: Partial<DrillResource>): DrillResource => ({
    type: "RDS",
    resource: instanceId,
    ...extra,
    status: statusOf(findings),
    findings,
  });
  const snapshot = await newestDbSnapshot(deps.rds, instanceId);
  if (!snapshot?.DBSnapshotIdentifier) {
    findings.push(
      finding("CRITICAL", instanceId, "no available drox-backup DB snapshot of this instance to restore"),
    );
    return done({});
  }
  const snapshotId = snapshot.DBSnapshotIdentifier;
  if (isOver(deadline)) {
    findings.push(finding("CRITICAL", instanceId, `not restored: ${stopReason(deadline, minutes)}`));
    return done({ snapshotId });
  }
  const restoredId = drillInstanceId(run.drillId, n);
  let created = false;
  const restore = async (): Promise<Partial<DrillResource>> => {
    const source = await describeInstance(deps.rds, instanceId);
    if (!source) {
      findings.push(
        finding(
          "INFO",
          instanceId,
          "source instance no longer exists: restored into the account's default subnet group",
        ),
      );
    }
    const instanceClass = await drillInstanceClass(
      deps.rds,
      snapshot,
      deps.drillSettings.dbInstanceClass,
      source?.DBInstanceClass,
    );
    const groups = (source?.VpcSecurityGroups ?? []).flatMap((g) =>
      g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
    );
    const requested = Date.now();
    await deps.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: restoredId,
        DBSnapshotIdentifier: snapshotId,
        DBInstanceClass: instanceClass,
        PubliclyAccessible: false,
        DeletionProtection: false,
        MultiAZ: false,
        AutoMinorVersionUpgrade: false,
        CopyTagsToSnapshot: false,
        ...(source?.DBSubnetGroup?.DBSubnetGroupName
          ? { DBSubnetGroupName: source.DBSubnetGroup.DBSubnetGroupName }
          : {}),
        ...(groups.length > 0 ? { VpcSecurityGroupIds: groups } : {}),
        Tags: drillTags({ drillId: run.drillId, source: instanceId, deadline: deadline.at }),
      }),
      { abortSignal: deadline.signal },
    );
    created = true;
    const instance = await pollUntil(
      async () => {
        const db = await describeInstance(deps.rds, restoredId);
        const status = db?.DBInstanceStatus ?? "";
        return { done: !db || status === "available" || DEAD_STATUSES.has(status), value: db };
      },
      deadline,
      { minDelaySeconds: run.waits.minDelaySeconds ?? 30, maxDelaySeconds: run.waits.maxDelaySeconds ?? 60 },
    );
    const seconds = Math.round((Date.now() - requested) / 1000);
    const status = instance?.DBInstanceStatus;
    if (!instance || status !== "available") {
      const why = isOver(deadline) ? stopReason(deadline, minutes) : `it ended ${status ?? "missing"}`;
      findings.push(
        finding(
          "CRITICAL",
          instanceId,
          `instance restored from ${snapshotId} did not become available after ${seconds} s: ${why}`,
        ),
      );
      return { restoredId };
    }
    if (instance.Engine !== snapshot.Engine || instance.EngineVersion !== snapshot.EngineVersion) {
      findings.push(
        finding(
          "CRITICAL",
          instanceId,
          `restored instance runs ${instance.Engine ?? "?"} ${instance.EngineVersion ?? "?"}, the snapshot ${snapshot.Engine ?? "?"} ${snapshot.EngineVersion ?? "?"}`,
        ),
      );
    }
    if (snapshot.Encrypted !== true) {
      findings.push(finding("WARNING", instanceId, `DB snapshot ${snapshotId} is not encrypted`));
    } else if (instance.StorageEncrypted !== true) {
      findings.push(finding("CRITICAL", instanceId, `restored instance's storage is not encrypted`));
    }
    return { restoredId, secondsToRestore: seconds };
  };
  let extra: Partial<DrillResource>;
  try {
    extra = await restore();
  } catch (error) {
    const why = isOver(deadline) ? stopReason(deadline, minutes) : messageOf(error);
    findings.push(finding("CRITICAL", instanceId, `restore of ${snapshotId} failed: ${why}`));
    extra = created ? { restoredId } : {};
  } finally {
    // Also when the restore request itself failed or was cut off: it may have gone through.
    try {
      await deleteDrillInstance(deps.rds, restoredId);
    } catch (error) {
      findings.push(
        finding(
          "WARNING",
          instanceId,
          `scratch instance ${restoredId} could not be deleted (${messageOf(error)}); the next drill sweeps it`,
        ),
      );
    }
  }
  return done({ snapshotId, ...extra });
}

/** Restores run side by side: each takes minutes of waiting, not of API calls. */
export async function drillRdsInstances(
  run: KindRun,
  instanceIds: readonly string[],
): Promise<DrillResource[]> {
  const limit = pLimit(4);
  return Promise.all(instanceIds.map((id, i) => limit(() => drillOne(run, id, i + 1))));
}
