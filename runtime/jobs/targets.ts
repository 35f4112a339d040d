/**
 * Which resources a run backs up: ids given on the command line win; otherwise the configured ids
 * plus everything carrying BACKUP_TAG.
 */
import { paginateDescribeVolumes } from "@aws-sdk/client-ec2";
import { paginateDescribeDBInstances } from "@aws-sdk/client-rds";
import { GetBucketTaggingCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import type { JobDeps } from "./context";

function merge(...lists: (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

export async function ebsTargets(deps: JobDeps, resources?: readonly string[]): Promise<string[]> {
  if (resources && resources.length > 0) return merge(resources);
  const { ebsVolumeIds, backupTag } = deps.settings;
  const tagged: string[] = [];
  if (backupTag) {
    const pages = paginateDescribeVolumes(
      { client: deps.ec2 },
      { Filters: [{ Name: `tag:${backupTag.key}`, Values: [backupTag.value] }] },
    );
    for await (const page of pages) {
      for (const v of page.Volumes ?? []) if (v.VolumeId) tagged.push(v.VolumeId);
    }
  }
  return merge(ebsVolumeIds, tagged);
}

export async function rdsTargets(deps: JobDeps, resources?: readonly string[]): Promise<string[]> {
  if (resources && resources.length > 0) return merge(resources);
  const { rdsInstanceIds, backupTag } = deps.settings;
  const tagged: string[] = [];
  if (backupTag) {
    // DescribeDBInstances has no tag filter; TagList comes with every instance.
    for await (const page of paginateDescribeDBInstances({ client: deps.rds }, {})) {
      for (const db of page.DBInstances ?? []) {
        const match = (db.TagList ?? []).some((t) => t.Key === backupTag.key && t.Value === backupTag.value);
        if (match && db.DBInstanceIdentifier) tagged.push(db.DBInstanceIdentifier);
      }
    }
  }
  return merge(rdsInstanceIds, tagged);
}

export async function s3Targets(deps: JobDeps, resources?: readonly string[]): Promise<string[]> {
  if (resources && resources.length > 0) return merge(resources);
  const { s3SourceBuckets, backupTag, backupBucket } = deps.settings;
  const tagged: string[] = [];
  if (backupTag) {
    const out = await deps.s3.send(new ListBucketsCommand({}));
    for (const bucket of out.Buckets ?? []) {
      if (!bucket.Name || bucket.Name === backupBucket) continue;
      try {
        const tags = await deps.s3.send(new GetBucketTaggingCommand({ Bucket: bucket.Name }));
        if ((tags.TagSet ?? []).some((t) => t.Key === backupTag.key && t.Value === backupTag.value)) {
          tagged.push(bucket.Name);
        }
      } catch {
        // A bucket without tags (NoSuchTagSet) or one we may not read is simply not selected.
      }
    }
  }
  return merge(s3SourceBuckets, tagged).filter((name) => name !== backupBucket);
}
