/**
 * How drox-backup marks what it creates. Retention and the integrity check only ever act on
 * snapshots carrying MANAGED_TAG=true, so snapshots made by people or other tools are never touched.
 */
import type { Tag } from "@aws-sdk/client-ec2";

export const TOOL_NAME = "drox-backup";
export const MANAGED_TAG = "drox-backup:managed";
export const JOB_ID_TAG = "drox-backup:job-id";
export const SOURCE_TAG = "drox-backup:source";
export const RETENTION_TAG = "drox-backup:retention-days";
export const COPY_OF_TAG = "drox-backup:copy-of";

export interface SnapshotTagInput {
  readonly jobId: string;
  readonly source: string;
  readonly retentionDays: number;
  readonly copyOf?: string;
}

export function snapshotTags(input: SnapshotTagInput): Tag[] {
  const tags: Tag[] = [
    { Key: "Name", Value: `${TOOL_NAME}-${input.source}` },
    { Key: MANAGED_TAG, Value: "true" },
    { Key: "ManagedBy", Value: TOOL_NAME },
    { Key: JOB_ID_TAG, Value: input.jobId },
    { Key: SOURCE_TAG, Value: input.source },
    { Key: RETENTION_TAG, Value: String(input.retentionDays) },
  ];
  if (input.copyOf) tags.push({ Key: COPY_OF_TAG, Value: input.copyOf });
  return tags;
}

export function isManaged(tags: readonly { Key?: string; Value?: string }[] | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === MANAGED_TAG && t.Value === "true");
}
