/**
 * Cross-region (DR) copies of new snapshots, as AWS Backup and DLM offer: encrypted in the DR
 * region, tagged as ours with the DR retention. A copy is started, not awaited: copies can take
 * hours, and the integrity check reports a copy that never completes.
 */
import { CopySnapshotCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { CopyDBSnapshotCommand, type RDSClient } from "@aws-sdk/client-rds";
import { snapshotTags } from "./tags";

export interface CopyResult {
  readonly copySnapshotId: string;
  readonly copyRegion: string;
}

export interface CopyRequest {
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly jobId: string;
  readonly source: string;
  readonly retentionDays: number;
  readonly kmsKeyId?: string;
}

export async function copyEbsSnapshot(
  drEc2: EC2Client,
  snapshotId: string,
  request: CopyRequest,
): Promise<CopyResult> {
  const out = await drEc2.send(
    new CopySnapshotCommand({
      SourceRegion: request.sourceRegion,
      SourceSnapshotId: snapshotId,
      Encrypted: true,
      ...(request.kmsKeyId ? { KmsKeyId: request.kmsKeyId } : {}),
      Description: `drox-backup DR copy of ${snapshotId} (${request.source})`,
      TagSpecifications: [
        {
          ResourceType: "snapshot",
          Tags: snapshotTags({ ...request, copyOf: `${request.sourceRegion}/${snapshotId}` }),
        },
      ],
    }),
  );
  if (!out.SnapshotId) throw new Error("CopySnapshot returned no snapshot id");
  return { copySnapshotId: out.SnapshotId, copyRegion: request.targetRegion };
}

export async function copyRdsSnapshot(
  drRds: RDSClient,
  sourceArn: string,
  targetIdentifier: string,
  request: CopyRequest,
): Promise<CopyResult> {
  const out = await drRds.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: sourceArn,
      TargetDBSnapshotIdentifier: targetIdentifier,
      // A cross-region copy of an encrypted snapshot needs a key of the target region; the
      // AWS-managed RDS key exists in every region.
      KmsKeyId: request.kmsKeyId ?? "alias/aws/rds",
      Tags: snapshotTags({ ...request, copyOf: sourceArn }),
    }),
  );
  const id = out.DBSnapshot?.DBSnapshotIdentifier;
  if (!id) throw new Error("CopyDBSnapshot returned no snapshot identifier");
  return { copySnapshotId: id, copyRegion: request.targetRegion };
}
