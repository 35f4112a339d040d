/**
 * The ECS task role's policy: what the backup jobs and the HTTP service may touch. A pure function
 * of the stack's resources, so test/infra-task-permissions.spec.ts can check it against the AWS SDK
 * calls the runtime makes.
 */
import * as pulumi from "@pulumi/pulumi";
import { DRILL_INSTANCE_PREFIX, DRILL_TAG } from "../runtime/drills/names";
import { MANAGED_TAG } from "../runtime/jobs/tags";
import { viaServices, type Statement } from "./iam";
import { S3_BATCH_PRINCIPAL } from "./s3-batch-role";

/** What the task role may touch. */
export interface TaskPermissions {
  readonly backupBucketArn: pulumi.Input<string>;
  readonly historyTableArn: pulumi.Input<string>;
  readonly eventsTopicArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Buckets backed up by name. @default [] */
  readonly sourceBuckets?: readonly string[];
  /** Targets are also selected by tag (needs tag discovery and read on any bucket). @default false */
  readonly tagDiscovery?: boolean;
  /** Region receiving cross-region copies (KMS use there and in this region). @default undefined */
  readonly drRegion?: string;
  /** The name of the S3 Batch Operations copy jobs' role (./s3-batch-role.ts), which the task starts jobs with. */
  readonly s3BatchRoleName?: pulumi.Input<string>;
}

/**
 * The services that use the stack key on the task's behalf, each for data the task reads or
 * writes: S3 for the backup objects (SSE-KMS: an upload needs kms:GenerateDataKey, a download or a
 * multipart copy kms:Decrypt too; https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
 * SNS for publishing to the encrypted events topic (a publisher needs kms:GenerateDataKey* and
 * kms:Decrypt; https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html) and DynamoDB for
 * the history table (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
 * Secrets Manager is absent: ECS injects the secrets with the execution role.
 */
export const STACK_KEY_SERVICES = ["s3", "sns", "dynamodb"] as const;

/** Every DB snapshot identifier the RDS job gives starts with this (runtime/jobs/rds.ts). */
export const RDS_SNAPSHOT_PREFIX = "drox-";

/** The lease items of the drills' per-kind lock in the history table (runtime/drills/lock.ts). */
export const DRILL_LOCK_KEYS = "drill-lock#*";

/** Where the task runs, for ARNs and KMS conditions. */
export interface TaskLocation {
  readonly accountId: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
}

/**
 * The jobs' permissions: snapshots (deleting only those the jobs tagged as theirs), the backup and
 * source buckets, events, history, the stack key, and — with a DR region — the KMS use that copying
 * encrypted snapshots across regions needs. Each action answers an AWS SDK call of the code the
 * task runs; test/infra-task-permissions.spec.ts scans runtime/ for those calls and fails on any
 * call not granted here, and on any action granted here that no call needs.
 */
export function taskStatements(p: TaskPermissions, where: TaskLocation): Statement[] {
  const sources = p.sourceBuckets ?? [];
  const managed = "true";
  const statements: Statement[] = [
    {
      Sid: "EbsSnapshots",
      Action: ["ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:DescribeSnapshots", "ec2:DescribeVolumes"],
      Resource: "*",
    },
    {
      Sid: "TagNewSnapshots",
      Action: "ec2:CreateTags",
      Resource: "*",
      Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CopySnapshot"] } },
    },
    {
      // Retention deletes only snapshots the jobs created: never one made by a person or another tool.
      Sid: "DeleteOwnEbsSnapshots",
      Action: "ec2:DeleteSnapshot",
      Resource: "arn:aws:ec2:*::snapshot/*",
      Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: managed } },
    },
    {
      Sid: "RdsSnapshots",
      Action: [
        "rds:CopyDBSnapshot",
        "rds:CreateDBSnapshot",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
      ],
      Resource: "*",
    },
    {
      // The jobs tag only the DB snapshots they create and copy (RDS authorizes tags given to
      // CreateDBSnapshot and CopyDBSnapshot as rds:AddTagsToResource on the new snapshot:
      // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html).
      // On `*` the task could tag anyone's snapshot as managed and then delete it past the tag
      // guard below; the tool's identifiers all start with `drox-` (runtime/jobs/rds.ts
      // snapshotIdentifier), in this region and the DR region, as in
      // arn:aws:rds:<region>:<account>:snapshot:<name>
      // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.ARN.Constructing.html).
      Sid: "TagOwnRdsSnapshots",
      Action: "rds:AddTagsToResource",
      Resource: [where.region, ...(p.drRegion !== undefined ? [p.drRegion] : [])].map(
        (region) =>
          pulumi.interpolate`arn:aws:rds:${region}:${where.accountId}:snapshot:${RDS_SNAPSHOT_PREFIX}*`,
      ),
    },
    {
      // RDS's own key for a DB snapshot's tags (the snapshot resource type declares it).
      Sid: "DeleteOwnRdsSnapshots",
      Action: "rds:DeleteDBSnapshot",
      Resource: pulumi.interpolate`arn:aws:rds:*:${where.accountId}:snapshot:*`,
      Condition: { StringEquals: { [`rds:snapshot-tag/${MANAGED_TAG}`]: managed } },
    },
    {
      // Listing and HeadBucket for the sync; the integrity check reads versioning, default
      // encryption and the public access block (GetBucketEncryption is s3:GetEncryptionConfiguration).
      Sid: "BackupBucketList",
      Action: [
        "s3:ListBucket",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
      ],
      Resource: p.backupBucketArn,
    },
    {
      // CopyObject and the multipart copy write here (UploadPartCopy and CompleteMultipartUpload are
      // s3:PutObject); a failed multipart copy is aborted so its parts are not billed.
      Sid: "BackupBucketObjects",
      Action: [
        "s3:GetObject",
        "s3:PutObject",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
      ],
      Resource: pulumi.interpolate`${p.backupBucketArn}/*`,
    },
    { Sid: "PublishEvents", Action: "sns:Publish", Resource: p.eventsTopicArn },
    {
      Sid: "History",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
      Resource: [p.historyTableArn, pulumi.interpolate`${p.historyTableArn}/index/*`],
    },
    {
      // Only through the services holding the task's data: with the role's credentials alone the
      // key would decrypt nothing (a leaked credential cannot call KMS directly).
      Sid: "UseStackKey",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: p.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": viaServices(STACK_KEY_SERVICES, where.region) } },
    },
  ];
  statements.push(...drillStatements(p, where));
  if (p.s3BatchRoleName !== undefined) {
    // Starting and reading S3 Batch Operations copy jobs: creating one needs s3:CreateJob and
    // iam:PassRole for its role (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html);
    // CreateJob names no resource, DescribeJob the job (arn:aws:s3:<region>:<account>:job/<id>).
    // The role can be passed to Batch Operations only.
    statements.push(
      { Sid: "S3BatchCreateJob", Action: "s3:CreateJob", Resource: "*" },
      {
        Sid: "S3BatchDescribeJob",
        Action: "s3:DescribeJob",
        Resource: pulumi.interpolate`arn:aws:s3:${where.region}:${where.accountId}:job/*`,
      },
      {
        Sid: "PassS3BatchRole",
        Action: "iam:PassRole",
        // The role's ARN, as IAM forms it for a role without a path.
        Resource: pulumi.interpolate`arn:aws:iam::${where.accountId}:role/${p.s3BatchRoleName}`,
        Condition: { StringEquals: { "iam:PassedToService": S3_BATCH_PRINCIPAL } },
      },
    );
  }
  if (p.drRegion !== undefined) {
    // A cross-region copy of an encrypted snapshot decrypts with the source's key (this region) and
    // re-encrypts with a key of the DR region, through EC2 or RDS: which keys is only known at run
    // time (each volume's, DR_KMS_KEY_ID or the AWS-managed default), so the account's keys in the
    // two regions are allowed, and only when EC2 or RDS uses them on the task's behalf.
    const regions = [where.region, p.drRegion];
    const keys = regions.map((region) => pulumi.interpolate`arn:aws:kms:${region}:${where.accountId}:key/*`);
    const viaService = regions.flatMap((region) => viaServices(["ec2", "rds"], region));
    statements.push(
      {
        Sid: "CrossRegionCopyKeys",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: keys,
        Condition: { StringEquals: { "kms:ViaService": viaService } },
      },
      {
        Sid: "CrossRegionCopyGrants",
        Action: "kms:CreateGrant",
        Resource: keys,
        Condition: {
          StringEquals: { "kms:ViaService": viaService },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      },
    );
  }
  if (p.tagDiscovery) {
    // S3 sources are found with ListBuckets and each bucket's GetBucketTagging; EBS volumes and
    // RDS instances come from their Describe calls with tags (granted above).
    statements.push({
      Sid: "FindTaggedTargets",
      Action: ["s3:ListAllMyBuckets", "s3:GetBucketTagging"],
      Resource: "*",
    });
  }
  // Trade-off: tag-selected S3 sources are only known at run time, so with a backup tag the task
  // may list and read every bucket of the account (`arn:aws:s3:::*`, read-only). A condition on
  // the bucket's tag cannot narrow it today: aws:ResourceTag is evaluated for general purpose
  // buckets only once S3 ABAC is enabled on each bucket (off by default; it also moves tagging to
  // TagResource), and s3:ExistingObjectTag tests object tags, not the bucket's. A condition would
  // silently deny every source bucket without ABAC. For a narrow policy, list the buckets in
  // s3SourceBuckets and leave backupTag unset.
  const sourceArns = p.tagDiscovery ? ["arn:aws:s3:::*"] : sources.map((bucket) => `arn:aws:s3:::${bucket}`);
  if (sourceArns.length > 0) {
    statements.push(
      // ListObjectsV2 and HeadBucket.
      { Sid: "SourceBucketsList", Action: "s3:ListBucket", Resource: sourceArns },
      {
        // HeadObject, CopyObject's and UploadPartCopy's source read, and its tags (CopyObject
        // copies tags by default; the multipart copy reads them with GetObjectTagging).
        Sid: "SourceBucketsRead",
        Action: ["s3:GetObject", "s3:GetObjectTagging"],
        Resource: sourceArns.map((arn) => `${arn}/*`),
      },
    );
  }
  return statements;
}

/**
 * Restore drills (runtime/drills): scratch volumes and `drox-drill-*` DB instances, created only
 * carrying the drill tag or name and deleted only when they carry it — the task can neither delete
 * a volume or instance a drill did not make nor restore into any other name. Drills can be started
 * on any stack (CLI, POST /api/backups/drill), so these are granted whether or not the weekly
 * schedule is on (drillEnabled).
 */
function drillStatements(p: TaskPermissions, where: TaskLocation): Statement[] {
  const volumes = pulumi.interpolate`arn:aws:ec2:${where.region}:${where.accountId}:volume/*`;
  const instances = pulumi.interpolate`arn:aws:rds:${where.region}:${where.accountId}:db:${DRILL_INSTANCE_PREFIX}*`;
  const tagged = { Null: { [`aws:RequestTag/${DRILL_TAG}`]: "false" } };
  const carriesTag = { Null: { [`aws:ResourceTag/${DRILL_TAG}`]: "false" } };
  return [
    {
      // The source's AZ fallback and the smallest instance class an engine offers.
      Sid: "DrillDescribe",
      Action: ["ec2:DescribeAvailabilityZones", "rds:DescribeOrderableDBInstanceOptions"],
      Resource: "*",
    },
    {
      // CreateVolume is authorized on the new volume and on the snapshot it is made from
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
      // the volume must carry the drill tag, the snapshot must be one of the jobs'.
      Sid: "DrillCreateVolumes",
      Action: "ec2:CreateVolume",
      Resource: volumes,
      Condition: tagged,
    },
    {
      Sid: "DrillVolumesFromOwnSnapshots",
      Action: "ec2:CreateVolume",
      Resource: pulumi.interpolate`arn:aws:ec2:${where.region}::snapshot/*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: "true" } },
    },
    {
      Sid: "DrillTagNewVolumes",
      Action: "ec2:CreateTags",
      Resource: volumes,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateVolume" }, ...tagged },
    },
    { Sid: "DrillDeleteVolumes", Action: "ec2:DeleteVolume", Resource: volumes, Condition: carriesTag },
    {
      // RestoreDBInstanceFromDBSnapshot is authorized on the new instance (only drox-drill-*), the
      // snapshot (only the jobs' drox-*), and the subnet, option and parameter groups it uses; its
      // tags are rds:AddTagsToResource on the new instance.
      Sid: "DrillRestoreInstances",
      Action: "rds:RestoreDBInstanceFromDBSnapshot",
      Resource: [
        instances,
        pulumi.interpolate`arn:aws:rds:${where.region}:${where.accountId}:snapshot:${RDS_SNAPSHOT_PREFIX}*`,
        pulumi.interpolate`arn:aws:rds:${where.region}:${where.accountId}:subgrp:*`,
        pulumi.interpolate`arn:aws:rds:${where.region}:${where.accountId}:og:*`,
        pulumi.interpolate`arn:aws:rds:${where.region}:${where.accountId}:pg:*`,
      ],
    },
    { Sid: "DrillTagNewInstances", Action: "rds:AddTagsToResource", Resource: instances },
    {
      Sid: "DrillDeleteInstances",
      Action: "rds:DeleteDBInstance",
      Resource: instances,
      Condition: carriesTag,
    },
    {
      // The per-kind lease is given back with a conditional DeleteItem; no other item may go.
      Sid: "DrillLocks",
      Action: "dynamodb:DeleteItem",
      Resource: p.historyTableArn,
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [DRILL_LOCK_KEYS] } },
    },
    {
      // A volume or instance restored from an encrypted snapshot uses the snapshot's key through
      // EC2 or RDS (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html):
      // which key is only known at run time, so the account's keys in this region, via EC2/RDS only.
      Sid: "DrillRestoreKeys",
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncrypt*",
        "kms:CreateGrant",
      ],
      Resource: pulumi.interpolate`arn:aws:kms:${where.region}:${where.accountId}:key/*`,
      Condition: { StringEquals: { "kms:ViaService": viaServices(["ec2", "rds"], where.region) } },
    },
  ];
}
