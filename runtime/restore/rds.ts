/**
 * `restore rds`: a new DB instance from a DB snapshot — one the tool made, or any with --force —
 * under an identifier that must not exist yet (checked before RestoreDBInstanceFromDBSnapshot, so
 * nothing is ever replaced), waited until `available`, its endpoint reported. The new instance is
 * not publicly accessible; the storage is encrypted as the snapshot (RDS does not let it differ).
 */
import {
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  waitUntilDBInstanceAvailable,
  type DBInstance,
  type DBSnapshot,
  type Tag,
} from "@aws-sdk/client-rds";
import type { RestoreEvent } from "../contract/events";
import { awsErrorCode, GIB, messageOf } from "../jobs/result";
import { isManaged, MANAGED_TAG, SOURCE_TAG } from "../jobs/tags";
import { waitBounds } from "../jobs/wait";
import type { RestoreDeps } from "./context";
import { RESTORED_BY_TAG, RESTORED_FROM_TAG, RESTORE_ID_TAG, type RestoreWait } from "./ebs";
import { RestoreRefused } from "./errors";
import { finishRestore, startRestore, type RestoreOutcome } from "./event";
import { recordRestore } from "./record";

export interface RdsRestoreRequest extends RestoreWait {
  /** A DB snapshot identifier (or ARN), or `latest` (with `instance`). */
  readonly snapshot: string;
  readonly instance?: string;
  /** The new instance's identifier. */
  readonly to: string;
  readonly instanceClass?: string;
  readonly subnetGroup?: string;
  readonly securityGroups?: readonly string[];
  readonly force?: boolean;
}

export interface RdsRestoreResult {
  readonly event: RestoreEvent;
  readonly endpoint?: string;
}

/** Statuses a DB snapshot is on its way to `available` from. */
const IN_PROGRESS = new Set(["creating", "copying", "pending", "backing-up"]);

/**
 * DB instance identifiers: 1 to 63 letters, digits or hyphens, starting with a letter, no two
 * consecutive hyphens, not ending with one — https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
 */
const INSTANCE_ID = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/;

export function checkInstanceIdentifier(id: string): void {
  if (!INSTANCE_ID.test(id) || id.endsWith("-")) {
    throw new RestoreRefused(
      "InvalidRequest",
      `--to "${id}" is not a DB instance identifier: 1 to 63 letters, digits or hyphens, starting with a letter, without "--" or a trailing hyphen`,
    );
  }
}

function inRegion(deps: RestoreDeps): string {
  return deps.region ? ` in ${deps.region}` : "";
}

async function tagsOf(deps: RestoreDeps, snapshot: DBSnapshot): Promise<Tag[]> {
  if (snapshot.TagList) return snapshot.TagList;
  if (!snapshot.DBSnapshotArn) return [];
  const out = await deps.rds.send(new ListTagsForResourceCommand({ ResourceName: snapshot.DBSnapshotArn }));
  return out.TagList ?? [];
}

function sourceOf(snapshot: DBSnapshot, tags: readonly Tag[]): string {
  return tags.find((t) => t.Key === SOURCE_TAG)?.Value ?? snapshot.DBInstanceIdentifier ?? "unknown";
}

/**
 * The newest available manual snapshot of `instanceId` the tool made. Matched on the source tag as
 * well as the instance id, since DR copies carry the tag wherever they live.
 */
async function latestSnapshot(deps: RestoreDeps, instanceId: string): Promise<DBSnapshot> {
  const ours: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const out = await deps.rds.send(
      new DescribeDBSnapshotsCommand({ SnapshotType: "manual", Marker: marker, MaxRecords: 100 }),
    );
    for (const snapshot of out.DBSnapshots ?? []) {
      const tags = await tagsOf(deps, snapshot);
      if (isManaged(tags) && sourceOf(snapshot, tags) === instanceId) ours.push(snapshot);
    }
    marker = out.Marker;
  } while (marker);
  const newest = (match: (status: string) => boolean) =>
    ours
      .filter((s) => match(s.Status ?? ""))
      .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))[0];
  const available = newest((status) => status === "available");
  if (available) return available;
  const pending = newest((status) => IN_PROGRESS.has(status));
  if (pending) {
    throw new RestoreRefused(
      "SnapshotInProgress",
      `The only drox-backup snapshot of ${instanceId}${inRegion(deps)}, ${pending.DBSnapshotIdentifier}, is still ${pending.Status} (${pending.PercentProgress ?? 0}%): try again when it is available`,
      { retryable: true },
    );
  }
  throw new RestoreRefused(
    "SnapshotNotFound",
    `No available drox-backup DB snapshot of ${instanceId}${inRegion(deps)}: check the instance id${deps.region ? "" : ", or use --region for the DR copies"}`,
  );
}

async function givenSnapshot(deps: RestoreDeps, identifier: string, force: boolean): Promise<DBSnapshot> {
  let snapshot: DBSnapshot | undefined;
  try {
    const out = await deps.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }));
    snapshot = out.DBSnapshots?.[0];
  } catch (error) {
    const code = awsErrorCode(error);
    if (
      code !== "DBSnapshotNotFoundFault" &&
      code !== "DBSnapshotNotFound" &&
      code !== "InvalidParameterValue"
    )
      throw error;
  }
  if (!snapshot) {
    throw new RestoreRefused("SnapshotNotFound", `DB snapshot ${identifier} not found${inRegion(deps)}`);
  }
  const status = snapshot.Status ?? "unknown";
  if (IN_PROGRESS.has(status)) {
    throw new RestoreRefused(
      "SnapshotInProgress",
      `DB snapshot ${identifier} is still ${status} (${snapshot.PercentProgress ?? 0}%): try again when it is available`,
      { retryable: true },
    );
  }
  if (status !== "available") {
    throw new RestoreRefused(
      "SnapshotFailed",
      `DB snapshot ${identifier} is ${status}; it cannot be restored`,
    );
  }
  if (!force && !isManaged(await tagsOf(deps, snapshot))) {
    throw new RestoreRefused(
      "SnapshotNotManaged",
      `DB snapshot ${identifier} was not made by drox-backup (no ${MANAGED_TAG}=true tag): pass --force to restore it anyway`,
    );
  }
  return snapshot;
}

async function describeInstance(deps: RestoreDeps, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await deps.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === "DBInstanceNotFoundFault" || code === "DBInstanceNotFound") return undefined;
    throw error;
  }
}

function endpointOf(instance: DBInstance | undefined): string | undefined {
  const address = instance?.Endpoint?.Address;
  if (!address) return undefined;
  return instance.Endpoint?.Port === undefined ? address : `${address}:${instance.Endpoint.Port}`;
}

export async function restoreRds(deps: RestoreDeps, request: RdsRestoreRequest): Promise<RdsRestoreResult> {
  checkInstanceIdentifier(request.to);
  let snapshot: DBSnapshot;
  if (request.snapshot === "latest") {
    if (!request.instance)
      throw new RestoreRefused("InvalidRequest", "--snapshot latest needs --instance <id>");
    snapshot = await latestSnapshot(deps, request.instance);
  } else {
    snapshot = await givenSnapshot(deps, request.snapshot, request.force === true);
  }
  if (await describeInstance(deps, request.to)) {
    throw new RestoreRefused(
      "TargetExists",
      `DB instance ${request.to} already exists${inRegion(deps)}: a restore never replaces anything, choose a new --to identifier`,
    );
  }
  const snapshotId = snapshot.DBSnapshotIdentifier ?? request.snapshot;
  const tags = await tagsOf(deps, snapshot);
  const clock = startRestore(deps.now());
  const subject = {
    type: "RDS" as const,
    resource: sourceOf(snapshot, tags),
    from: snapshotId,
    target: request.to,
    ...(deps.region ? { region: deps.region } : {}),
  };
  const sizeBytes = snapshot.AllocatedStorage === undefined ? undefined : snapshot.AllocatedStorage * GIB;
  let endpoint: string | undefined;
  let outcome: RestoreOutcome;
  try {
    await deps.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: request.to,
        DBSnapshotIdentifier: snapshotId,
        ...(request.instanceClass ? { DBInstanceClass: request.instanceClass } : {}),
        ...(request.subnetGroup ? { DBSubnetGroupName: request.subnetGroup } : {}),
        ...(request.securityGroups && request.securityGroups.length > 0
          ? { VpcSecurityGroupIds: [...request.securityGroups] }
          : {}),
        PubliclyAccessible: false,
        Tags: [
          { Key: RESTORED_FROM_TAG, Value: snapshotId },
          { Key: RESTORE_ID_TAG, Value: clock.restoreId },
          { Key: RESTORED_BY_TAG, Value: deps.requestedBy.slice(0, 256) },
        ],
      }),
    );
    const deadline = Date.now() + request.timeoutSeconds * 1000;
    try {
      await waitUntilDBInstanceAvailable(
        {
          client: deps.rds,
          abortSignal: request.signal,
          ...waitBounds(deadline, request.minDelaySeconds ?? 30, request.maxDelaySeconds ?? 60),
        },
        { DBInstanceIdentifier: request.to },
      );
    } catch {
      // Timed out, aborted or the instance failed: judged from its status below.
    }
    const instance = await describeInstance(deps, request.to);
    endpoint = endpointOf(instance);
    const metrics = {
      ...(sizeBytes === undefined ? {} : { sizeBytes }),
      ...(endpoint ? { endpoint } : {}),
    };
    const status = instance?.DBInstanceStatus ?? "gone";
    if (status === "available") outcome = { status: "SUCCEEDED", metrics };
    else if (["creating", "backing-up", "modifying", "configuring-enhanced-monitoring"].includes(status))
      outcome = {
        status: "WARNING",
        metrics,
        error: {
          message: `DB instance ${request.to} is still ${status} after ${request.timeoutSeconds} s; it becomes available on its own (aws rds describe-db-instances --db-instance-identifier ${request.to})`,
          code: "RestorePending",
        },
      };
    else
      outcome = {
        status: "FAILED",
        metrics,
        error: { message: `DB instance ${request.to} is ${status}, not available`, code: "RestoreFailed" },
      };
  } catch (error) {
    outcome = {
      status: "FAILED",
      ...(sizeBytes === undefined ? {} : { metrics: { sizeBytes } }),
      error: { message: messageOf(error), ...(awsErrorCode(error) ? { code: awsErrorCode(error) } : {}) },
    };
  }
  const event = finishRestore(clock, subject, deps.requestedBy, deps.now(), outcome);
  await recordRestore(deps, event);
  return { event, endpoint };
}
