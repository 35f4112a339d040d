/**
 * The role S3 Batch Operations copy jobs run as (runtime/jobs/s3-batch.ts): trusted by the Batch
 * Operations service principal only, reading the named source buckets, writing copies under each
 * source's prefix of the backup bucket, reading the job's manifest and writing its report under
 * `.drox-backup/batch/` — nothing broader. The actions are those the S3 user guide lists for a
 * PutObjectCopy job, less the ACL ones (the jobs set no ACLs)
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html):
 * destination s3:PutObject and s3:PutObjectTagging, source s3:GetObject, s3:GetObjectTagging and
 * s3:ListBucket, manifest s3:GetObject and s3:GetObjectVersion, report s3:PutObject. The backup
 * bucket encrypts with the stack key, so the copies and the manifest need that key through S3.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument, viaServices, type Statement } from "./iam";

/** Batch Operations' service principal (the trust policy of the guide above). */
export const S3_BATCH_PRINCIPAL = "batchoperations.s3.amazonaws.com";

/** Where the jobs' manifests and reports live in the backup bucket (runtime/jobs/s3-batch.ts). */
export const S3_BATCH_FILES_PREFIX = ".drox-backup/batch/";

export interface S3BatchRoleArgs {
  readonly backupBucketArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly sourceBuckets: readonly string[];
  readonly accountId: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
}

export function s3BatchStatements(args: S3BatchRoleArgs): Statement[] {
  const sources = args.sourceBuckets;
  // Without named sources (targets by tag only) the role copies nothing: a job's tasks fail with
  // AccessDenied, named in its result, and the next run copies those objects itself.
  const copies: Statement[] =
    sources.length === 0
      ? []
      : [
          { Sid: "ListSources", Action: "s3:ListBucket", Resource: sources.map((b) => `arn:aws:s3:::${b}`) },
          {
            Sid: "ReadSources",
            Action: ["s3:GetObject", "s3:GetObjectTagging"],
            Resource: sources.map((b) => `arn:aws:s3:::${b}/*`),
          },
          {
            // Each source's copies land under `<source>/` and nowhere else in the backup bucket.
            Sid: "WriteCopies",
            Action: ["s3:PutObject", "s3:PutObjectTagging"],
            Resource: sources.map((b) => pulumi.interpolate`${args.backupBucketArn}/${b}/*`),
          },
        ];
  return [
    ...copies,
    {
      Sid: "ReadManifests",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: pulumi.interpolate`${args.backupBucketArn}/${S3_BATCH_FILES_PREFIX}*`,
    },
    {
      Sid: "WriteReports",
      Action: "s3:PutObject",
      Resource: pulumi.interpolate`${args.backupBucketArn}/${S3_BATCH_FILES_PREFIX}*`,
    },
    {
      Sid: "UseStackKey",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: args.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": viaServices(["s3"], args.region) } },
    },
  ];
}

export function createS3BatchRole(
  name: string,
  args: S3BatchRoleArgs,
  opts?: pulumi.ComponentResourceOptions,
): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-s3-batch-role`,
    { assumeRolePolicy: assumeRolePolicy(S3_BATCH_PRINCIPAL, args.accountId), tags: args.tags },
    opts,
  );
  new aws.iam.RolePolicy(
    `${name}-s3-batch-policy`,
    { role: role.id, policy: policyDocument(s3BatchStatements(args)) },
    opts,
  );
  return role;
}
