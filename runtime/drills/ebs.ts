/**
 * EBS drill: the newest completed own snapshot of each volume becomes a scratch volume — same AZ
 * as the source, gp3, encrypted with the snapshot's key, tagged as the drill's — and is awaited
 * until `available`. The time from the CreateVolume request to `available` is the time to restore;
 * size and encryption are checked against the snapshot; the volume is deleted in `finally`,
 * whatever happened, aborted or not.
 */
import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeVolumesCommand,
  paginateDescribeSnapshots,
  type EC2Client,
  type Snapshot,
  type Volume,
} from "@aws-sdk/client-ec2";
import pLimit from "p-limit";
import type { DrillResource, Finding } from "../contract/events";
import { MANAGED_TAG } from "../jobs/tags";
import { awsErrorCode, messageOf } from "../jobs/result";
import type { KindRun } from "./context";
import { isOver, pollUntil, stopReason } from "./deadline";
import { finding, statusOf } from "./outcome";
import { drillIdOf, drillTags } from "./tags";

/** Volume states a restore does not leave: `available` is success, the others failure. */
const FINAL_STATES = new Set(["available", "error", "deleting", "deleted", "in-use"]);

/** The newest completed snapshot drox-backup took of the volume, if any. */
export async function newestEbsSnapshot(ec2: EC2Client, volumeId: string): Promise<Snapshot | undefined> {
  let newest: Snapshot | undefined;
  const pages = paginateDescribeSnapshots(
    { client: ec2 },
    {
      OwnerIds: ["self"],
      Filters: [
        { Name: "volume-id", Values: [volumeId] },
        { Name: "status", Values: ["completed"] },
        { Name: `tag:${MANAGED_TAG}`, Values: ["true"] },
      ],
    },
  );
  for await (const page of pages) {
    for (const s of page.Snapshots ?? []) {
      if (!newest || (s.StartTime?.getTime() ?? 0) > (newest.StartTime?.getTime() ?? 0)) newest = s;
    }
  }
  return newest;
}

async function describeVolume(ec2: EC2Client, volumeId: string): Promise<Volume | undefined> {
  try {
    const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    return out.Volumes?.[0];
  } catch (error) {
    if (awsErrorCode(error) === "InvalidVolume.NotFound") return undefined;
    throw error;
  }
}

/** The source's AZ; for a volume since deleted (the case a backup exists for), the region's first. */
async function zoneFor(ec2: EC2Client, source: Volume | undefined): Promise<string> {
  if (source?.AvailabilityZone) return source.AvailabilityZone;
  const out = await ec2.send(
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "state", Values: ["available"] }] }),
  );
  const zone = out.AvailabilityZones?.map((z) => z.ZoneName).find((z) => z);
  if (!zone) throw new Error("no available availability zone to restore into");
  return zone;
}

/**
 * Deletes a scratch volume, after checking it carries the drill tag: the code never deletes a
 * volume it did not tag, whatever id it is handed (the task role's IAM condition says the same).
 */
export async function deleteDrillVolume(ec2: EC2Client, volumeId: string): Promise<void> {
  const volume = await describeVolume(ec2, volumeId);
  if (!volume) return;
  if (!drillIdOf(volume.Tags)) throw new Error(`volume ${volumeId} is not a drill volume; not deleted`);
  await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
}

async function drillOne(run: KindRun, volumeId: string): Promise<DrillResource> {
  const { deps, deadline } = run;
  const findings: Finding[] = [];
  const base = { type: "EBS" as const, resource: volumeId };
  const done = (extra: Partial<DrillResource>): DrillResource => ({
    ...base,
    ...extra,
    status: statusOf(findings),
    findings,
  });
  const snapshot = await newestEbsSnapshot(deps.ec2, volumeId);
  if (!snapshot?.SnapshotId) {
    findings.push(
      finding("CRITICAL", volumeId, "no completed drox-backup snapshot of this volume to restore"),
    );
    return done({});
  }
  const snapshotId = snapshot.SnapshotId;
  if (isOver(deadline)) {
    findings.push(
      finding(
        "CRITICAL",
        volumeId,
        `not restored: ${stopReason(deadline, deps.drillSettings.deadlineMinutes)}`,
      ),
    );
    return done({ snapshotId });
  }
  let restoredId: string | undefined;
  const restore = async (): Promise<Partial<DrillResource>> => {
    const zone = await zoneFor(deps.ec2, await describeVolume(deps.ec2, volumeId));
    const requested = Date.now();
    const out = await deps.ec2.send(
      new CreateVolumeCommand({
        SnapshotId: snapshotId,
        AvailabilityZone: zone,
        VolumeType: "gp3",
        // A volume from an encrypted snapshot is always encrypted; naming the snapshot's key keeps
        // it from falling back to the account's default key.
        ...(snapshot.Encrypted ? { Encrypted: true, KmsKeyId: snapshot.KmsKeyId } : {}),
        TagSpecifications: [
          {
            ResourceType: "volume",
            Tags: drillTags({ drillId: run.drillId, source: volumeId, deadline: deadline.at }),
          },
        ],
      }),
      { abortSignal: deadline.signal },
    );
    restoredId = out.VolumeId;
    if (!restoredId) throw new Error("CreateVolume returned no volume id");
    const id = restoredId;
    const volume = await pollUntil(
      async () => {
        const v = await describeVolume(deps.ec2, id);
        return { done: !v || FINAL_STATES.has(v.State ?? ""), value: v };
      },
      deadline,
      { minDelaySeconds: run.waits.minDelaySeconds ?? 5, maxDelaySeconds: run.waits.maxDelaySeconds ?? 30 },
    );
    const seconds = Math.round((Date.now() - requested) / 1000);
    if (volume?.State !== "available") {
      const why = isOver(deadline)
        ? stopReason(deadline, deps.drillSettings.deadlineMinutes)
        : `it ended ${volume?.State ?? "missing"}`;
      findings.push(
        finding(
          "CRITICAL",
          volumeId,
          `volume from ${snapshotId} did not become available after ${seconds} s: ${why}`,
        ),
      );
      return { restoredId };
    }
    if (volume.Size !== snapshot.VolumeSize) {
      findings.push(
        finding(
          "CRITICAL",
          volumeId,
          `restored volume is ${volume.Size ?? "?"} GiB, the snapshot ${snapshotId} ${snapshot.VolumeSize ?? "?"} GiB`,
        ),
      );
    }
    if (snapshot.Encrypted !== true) {
      findings.push(finding("WARNING", volumeId, `snapshot ${snapshotId} is not encrypted`));
    } else if (volume.Encrypted !== true || (snapshot.KmsKeyId && volume.KmsKeyId !== snapshot.KmsKeyId)) {
      findings.push(
        finding(
          "CRITICAL",
          volumeId,
          `restored volume is not encrypted with the snapshot's key ${snapshot.KmsKeyId ?? ""}`,
        ),
      );
    }
    return { restoredId, secondsToRestore: seconds };
  };
  let extra: Partial<DrillResource>;
  try {
    extra = await restore();
  } catch (error) {
    const why = isOver(deadline)
      ? stopReason(deadline, deps.drillSettings.deadlineMinutes)
      : messageOf(error);
    findings.push(finding("CRITICAL", volumeId, `restore of ${snapshotId} failed: ${why}`));
    extra = restoredId ? { restoredId } : {};
  } finally {
    // Cleanup ignores the drill's signal on purpose: it must run after an abort or the deadline.
    if (restoredId) {
      try {
        await deleteDrillVolume(deps.ec2, restoredId);
      } catch (error) {
        findings.push(
          finding(
            "WARNING",
            volumeId,
            `scratch volume ${restoredId} could not be deleted (${messageOf(error)}); the next drill sweeps it`,
          ),
        );
      }
    }
  }
  return done({ snapshotId, ...extra });
}

/** One scratch volume per source volume, a few at a time (CreateVolume is rate-limited per account). */
export async function drillEbsVolumes(run: KindRun, volumeIds: readonly string[]): Promise<DrillResource[]> {
  const limit = pLimit(4);
  return Promise.all(volumeIds.map((id) => limit(() => drillOne(run, id))));
}
