/**
 * `restore ebs`: a new volume from a snapshot — one the tool made (tag drox-backup:managed=true),
 * or any with --force — encrypted as the snapshot, waited until `available`. It is never attached
 * and replaces nothing: swapping it in is the operator's decision.
 */
import {
  CreateVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  waitUntilVolumeAvailable,
  type Snapshot,
  type Tag,
  type VolumeType,
} from "@aws-sdk/client-ec2";
import type { RestoreEvent } from "../contract/events";
import { awsErrorCode, GIB, messageOf } from "../jobs/result";
import { isManaged, MANAGED_TAG, SOURCE_TAG, TOOL_NAME } from "../jobs/tags";
import { waitBounds } from "../jobs/wait";
import type { RestoreDeps } from "./context";
import { RestoreRefused } from "./errors";
import { finishRestore, startRestore, type RestoreOutcome, type RestoreSubject } from "./event";
import { recordRestore } from "./record";

export const RESTORED_FROM_TAG = "drox-backup:restored-from";
export const RESTORE_ID_TAG = "drox-backup:restore-id";
export const RESTORED_BY_TAG = "drox-backup:restored-by";
export const DEFAULT_VOLUME_TYPE = "gp3";

export interface RestoreWait {
  /** Seconds to wait for `available` before reporting the resource as still being created. */
  readonly timeoutSeconds: number;
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
  readonly signal?: AbortSignal;
}

export interface EbsRestoreRequest extends RestoreWait {
  /** A snapshot id, or `latest` (with `volume`). */
  readonly snapshot: string;
  readonly volume?: string;
  readonly availabilityZone?: string;
  readonly volumeType?: string;
  readonly tags?: readonly Tag[];
  /** Restore from a snapshot the tool did not make. */
  readonly force?: boolean;
}

export interface EbsRestoreResult {
  readonly event: RestoreEvent;
  readonly volumeId?: string;
  readonly availabilityZone: string;
}

function sourceOf(snapshot: Snapshot): string {
  return snapshot.Tags?.find((t) => t.Key === SOURCE_TAG)?.Value ?? snapshot.VolumeId ?? "unknown";
}

function inRegion(deps: RestoreDeps): string {
  return deps.region ? ` in ${deps.region}` : "";
}

/** The newest completed snapshot of `volumeId` the tool made (DR copies carry the same tags). */
async function latestSnapshot(deps: RestoreDeps, volumeId: string): Promise<Snapshot> {
  const found: Snapshot[] = [];
  let token: string | undefined;
  do {
    const out = await deps.ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ["self"],
        Filters: [
          { Name: `tag:${MANAGED_TAG}`, Values: ["true"] },
          { Name: `tag:${SOURCE_TAG}`, Values: [volumeId] },
        ],
        NextToken: token,
      }),
    );
    found.push(...(out.Snapshots ?? []));
    token = out.NextToken;
  } while (token);
  const newest = (states: readonly string[]) =>
    found
      .filter((s) => states.includes(s.State ?? ""))
      .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0))[0];
  const completed = newest(["completed"]);
  if (completed) return completed;
  const pending = newest(["pending"]);
  if (pending) {
    throw new RestoreRefused(
      "SnapshotInProgress",
      `The only drox-backup snapshot of ${volumeId}${inRegion(deps)}, ${pending.SnapshotId}, is still in progress (${pending.Progress ?? "0%"}): try again when it has completed`,
      { retryable: true },
    );
  }
  throw new RestoreRefused(
    "SnapshotNotFound",
    `No completed drox-backup snapshot of volume ${volumeId}${inRegion(deps)}: check the volume id${deps.region ? "" : ", or use --region for the DR copies"}`,
  );
}

async function givenSnapshot(deps: RestoreDeps, snapshotId: string, force: boolean): Promise<Snapshot> {
  let snapshot: Snapshot | undefined;
  try {
    const out = await deps.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    snapshot = out.Snapshots?.[0];
  } catch (error) {
    const code = awsErrorCode(error);
    if (code !== "InvalidSnapshot.NotFound" && code !== "InvalidSnapshotID.Malformed") throw error;
  }
  if (!snapshot) {
    throw new RestoreRefused("SnapshotNotFound", `Snapshot ${snapshotId} not found${inRegion(deps)}`);
  }
  if (snapshot.State === "pending") {
    throw new RestoreRefused(
      "SnapshotInProgress",
      `Snapshot ${snapshotId} is still in progress (${snapshot.Progress ?? "0%"}): try again when it has completed`,
      { retryable: true },
    );
  }
  if (snapshot.State !== "completed") {
    throw new RestoreRefused(
      "SnapshotFailed",
      `Snapshot ${snapshotId} is ${snapshot.State ?? "in an unknown state"}${snapshot.StateMessage ? `: ${snapshot.StateMessage}` : ""}; it cannot be restored`,
    );
  }
  if (!force && !isManaged(snapshot.Tags)) {
    throw new RestoreRefused(
      "SnapshotNotManaged",
      `Snapshot ${snapshotId} was not made by drox-backup (no ${MANAGED_TAG}=true tag): pass --force to restore it anyway`,
    );
  }
  return snapshot;
}

export async function resolveEbsSnapshot(deps: RestoreDeps, request: EbsRestoreRequest): Promise<Snapshot> {
  if (request.snapshot === "latest") {
    if (!request.volume) {
      throw new RestoreRefused("InvalidRequest", "--snapshot latest needs --volume <vol-id>");
    }
    return latestSnapshot(deps, request.volume);
  }
  return givenSnapshot(deps, request.snapshot, request.force === true);
}

/** The source volume's zone while it exists here, else the region's first available zone. */
async function chooseZone(deps: RestoreDeps, snapshot: Snapshot): Promise<string> {
  const source = sourceOf(snapshot);
  if (source.startsWith("vol-")) {
    try {
      const out = await deps.ec2.send(new DescribeVolumesCommand({ VolumeIds: [source] }));
      const zone = out.Volumes?.[0]?.AvailabilityZone;
      if (zone) return zone;
    } catch (error) {
      const code = awsErrorCode(error);
      if (code !== "InvalidVolume.NotFound" && code !== "InvalidVolumeID.Malformed") throw error;
    }
  }
  const zones = await deps.ec2.send(
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "state", Values: ["available"] }] }),
  );
  const zone = zones.AvailabilityZones?.map((z) => z.ZoneName).find((name) => name !== undefined);
  if (!zone) throw new RestoreRefused("InvalidRequest", "No available zone found: pass --az");
  return zone;
}

export async function restoreEbs(deps: RestoreDeps, request: EbsRestoreRequest): Promise<EbsRestoreResult> {
  const snapshot = await resolveEbsSnapshot(deps, request);
  const snapshotId = snapshot.SnapshotId ?? request.snapshot;
  const zone = request.availabilityZone ?? (await chooseZone(deps, snapshot));
  const clock = startRestore(deps.now());
  const resource = sourceOf(snapshot);
  let subject: RestoreSubject = {
    type: "EBS",
    resource,
    from: snapshotId,
    target: `new volume in ${zone}`,
    ...(deps.region ? { region: deps.region } : {}),
  };
  const sizeBytes = snapshot.VolumeSize === undefined ? undefined : snapshot.VolumeSize * GIB;
  const metrics = sizeBytes === undefined ? undefined : { sizeBytes };
  let volumeId: string | undefined;
  let outcome: RestoreOutcome;
  try {
    const created = await deps.ec2.send(
      new CreateVolumeCommand({
        SnapshotId: snapshotId,
        AvailabilityZone: zone,
        VolumeType: (request.volumeType ?? DEFAULT_VOLUME_TYPE) as VolumeType,
        // A volume from an encrypted snapshot is encrypted anyway; the key is kept explicitly.
        ...(snapshot.Encrypted
          ? { Encrypted: true, ...(snapshot.KmsKeyId ? { KmsKeyId: snapshot.KmsKeyId } : {}) }
          : {}),
        TagSpecifications: [
          {
            ResourceType: "volume",
            Tags: [
              { Key: "Name", Value: `${TOOL_NAME}-restore-${resource}` },
              { Key: RESTORED_FROM_TAG, Value: snapshotId },
              { Key: RESTORE_ID_TAG, Value: clock.restoreId },
              { Key: RESTORED_BY_TAG, Value: deps.requestedBy.slice(0, 256) },
              ...(request.tags ?? []),
            ],
          },
        ],
      }),
    );
    volumeId = created.VolumeId;
    if (!volumeId) throw new Error("CreateVolume returned no volume id");
    subject = { ...subject, target: volumeId };
    outcome = await waitForVolume(deps, volumeId, request, metrics);
  } catch (error) {
    outcome = {
      status: "FAILED",
      ...(metrics ? { metrics } : {}),
      error: { message: messageOf(error), ...(awsErrorCode(error) ? { code: awsErrorCode(error) } : {}) },
    };
  }
  const event = finishRestore(clock, subject, deps.requestedBy, deps.now(), outcome);
  await recordRestore(deps, event);
  return { event, volumeId, availabilityZone: zone };
}

async function waitForVolume(
  deps: RestoreDeps,
  volumeId: string,
  wait: RestoreWait,
  metrics: { sizeBytes: number } | undefined,
): Promise<RestoreOutcome> {
  const deadline = Date.now() + wait.timeoutSeconds * 1000;
  try {
    await waitUntilVolumeAvailable(
      {
        client: deps.ec2,
        abortSignal: wait.signal,
        ...waitBounds(deadline, wait.minDelaySeconds ?? 5, wait.maxDelaySeconds ?? 15),
      },
      { VolumeIds: [volumeId] },
    );
  } catch {
    // Timed out, aborted or the volume failed: judged from its state below.
  }
  const out = await deps.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  const state = out.Volumes?.[0]?.State;
  const base = metrics ? { metrics } : {};
  if (state === "available") return { status: "SUCCEEDED", ...base };
  if (state === "creating") {
    return {
      status: "WARNING",
      ...base,
      error: {
        message: `Volume ${volumeId} is still being created after ${wait.timeoutSeconds} s; it becomes available on its own (aws ec2 describe-volumes --volume-ids ${volumeId})`,
        code: "RestorePending",
      },
    };
  }
  return {
    status: "FAILED",
    ...base,
    error: { message: `Volume ${volumeId} is ${state ?? "gone"}, not available`, code: "RestoreFailed" },
  };
}
