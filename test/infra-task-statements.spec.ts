/**
 * The ECS task role's statements (components/task-permissions.ts) for each shape a stack can take —
 * no options, named source buckets, targets by tag, S3 Batch Operations, a DR region — built
 * directly, without evaluating the program: test/infra-service.spec.ts pins the prod stack's
 * document and test/infra-task-permissions.spec.ts judges it against the runtime's SDK calls, both
 * through a whole program run. Expected values are IAM's: the actions and condition keys of the
 * Service Authorization Reference and each service's ARN format. The execution role's statements
 * (components/task-definition.ts) likewise, with and without secrets to inject.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, type Statement } from "../components/iam";
import { executionStatements } from "../components/task-definition";
import { taskStatements } from "../components/task-permissions";

/** A document's statements as IAM reads them (inputs resolved; outside a deployment apply runs once). */
const resolvedStatements = (statements: readonly Statement[]): Promise<unknown> =>
  new Promise((resolve) => {
    policyDocument(statements).apply((text) =>
      resolve((JSON.parse(text) as { Statement: unknown }).Statement),
    );
  });

describe("infra: the task role's statements for each stack shape (taskStatements)", () => {
  // AWS's documentation account and a second region; ARN formats from each service's
  // "Resource types" table in the Service Authorization Reference.
  const account = "111122223333";
  const base = {
    backupBucketArn: "arn:aws:s3:::drox-backups",
    historyTableArn: `arn:aws:dynamodb:eu-central-1:${account}:table/drox-history`,
    eventsTopicArn: `arn:aws:sns:eu-central-1:${account}:drox-events`,
    kmsKeyArn: `arn:aws:kms:eu-central-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  };
  const at = { accountId: pulumi.output(account), region: "eu-central-1" };
  type Resolved = { readonly Sid: string; readonly Resource: unknown };
  const sids = (statements: unknown) => (statements as Resolved[]).map((s) => s.Sid);
  const bySid = (statements: unknown, sid: string) => (statements as Resolved[]).find((s) => s.Sid === sid);
  const keyArn = (region: string) => `arn:aws:kms:${region}:${account}:key/*`;
  const via = (service: string, region: string) => `${service}.${region}.amazonaws.com`;

  it("must grant the jobs, drills and stack key exactly, and nothing optional, to a stack with no options", async () => {
    const volumes = `arn:aws:ec2:eu-central-1:${account}:volume/*`;
    const drillDb = `arn:aws:rds:eu-central-1:${account}:db:drox-drill-*`;
    assert.deepEqual(await resolvedStatements(taskStatements(base, at)), [
      {
        Effect: "Allow",
        Sid: "EbsSnapshots",
        Action: ["ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:DescribeSnapshots", "ec2:DescribeVolumes"],
        Resource: "*",
      },
      {
        // Tags given to CreateSnapshot/CopySnapshot are ec2:CreateTags with ec2:CreateAction.
        Effect: "Allow",
        Sid: "TagNewSnapshots",
        Action: "ec2:CreateTags",
        Resource: "*",
        Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CopySnapshot"] } },
      },
      {
        // arn:aws:ec2:<region>::snapshot/<id> (no account in a snapshot's ARN).
        Effect: "Allow",
        Sid: "DeleteOwnEbsSnapshots",
        Action: "ec2:DeleteSnapshot",
        Resource: "arn:aws:ec2:*::snapshot/*",
        Condition: { StringEquals: { "aws:ResourceTag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
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
        // Without a DR region, this region's drox-* snapshots only.
        Effect: "Allow",
        Sid: "TagOwnRdsSnapshots",
        Action: "rds:AddTagsToResource",
        Resource: [`arn:aws:rds:eu-central-1:${account}:snapshot:drox-*`],
      },
      {
        Effect: "Allow",
        Sid: "DeleteOwnRdsSnapshots",
        Action: "rds:DeleteDBSnapshot",
        Resource: `arn:aws:rds:*:${account}:snapshot:*`,
        Condition: { StringEquals: { "rds:snapshot-tag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
        Sid: "BackupBucketList",
        Action: [
          "s3:ListBucket",
          "s3:GetBucketVersioning",
          "s3:GetEncryptionConfiguration",
          "s3:GetBucketPublicAccessBlock",
        ],
        Resource: "arn:aws:s3:::drox-backups",
      },
      {
        Effect: "Allow",
        Sid: "BackupBucketObjects",
        Action: [
          "s3:GetObject",
          "s3:PutObject",
          "s3:GetObjectTagging",
          "s3:PutObjectTagging",
          "s3:AbortMultipartUpload",
        ],
        Resource: "arn:aws:s3:::drox-backups/*",
      },
      { Effect: "Allow", Sid: "PublishEvents", Action: "sns:Publish", Resource: base.eventsTopicArn },
      {
        // A Query on a global secondary index is authorized on <table>/index/<name>.
        Effect: "Allow",
        Sid: "History",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        Resource: [base.historyTableArn, `${base.historyTableArn}/index/*`],
      },
      {
        Effect: "Allow",
        Sid: "UseStackKey",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: base.kmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": [
              via("s3", "eu-central-1"),
              via("sns", "eu-central-1"),
              via("dynamodb", "eu-central-1"),
            ],
          },
        },
      },
      {
        Effect: "Allow",
        Sid: "DrillDescribe",
        Action: ["ec2:DescribeAvailabilityZones", "rds:DescribeOrderableDBInstanceOptions"],
        Resource: "*",
      },
      {
        // The Null operator with "false": the request must carry the drill tag.
        Effect: "Allow",
        Sid: "DrillCreateVolumes",
        Action: "ec2:CreateVolume",
        Resource: volumes,
        Condition: { Null: { "aws:RequestTag/drox-backup:drill": "false" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillVolumesFromOwnSnapshots",
        Action: "ec2:CreateVolume",
        Resource: "arn:aws:ec2:eu-central-1::snapshot/*",
        Condition: { StringEquals: { "aws:ResourceTag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillTagNewVolumes",
        Action: "ec2:CreateTags",
        Resource: volumes,
        Condition: {
          StringEquals: { "ec2:CreateAction": "CreateVolume" },
          Null: { "aws:RequestTag/drox-backup:drill": "false" },
        },
      },
      {
        Effect: "Allow",
        Sid: "DrillDeleteVolumes",
        Action: "ec2:DeleteVolume",
        Resource: volumes,
        Condition: { Null: { "aws:ResourceTag/drox-backup:drill": "false" } },
      },
      {
        // arn:aws:rds:<region>:<account>:db:<name>, snapshot:, subgrp:, og:, pg:.
        Effect: "Allow",
        Sid: "DrillRestoreInstances",
        Action: "rds:RestoreDBInstanceFromDBSnapshot",
        Resource: [
          drillDb,
          `arn:aws:rds:eu-central-1:${account}:snapshot:drox-*`,
          `arn:aws:rds:eu-central-1:${account}:subgrp:*`,
          `arn:aws:rds:eu-central-1:${account}:og:*`,
          `arn:aws:rds:eu-central-1:${account}:pg:*`,
        ],
      },
      { Effect: "Allow", Sid: "DrillTagNewInstances", Action: "rds:AddTagsToResource", Resource: drillDb },
      {
        Effect: "Allow",
        Sid: "DrillDeleteInstances",
        Action: "rds:DeleteDBInstance",
        Resource: drillDb,
        Condition: { Null: { "aws:ResourceTag/drox-backup:drill": "false" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillLocks",
        Action: "dynamodb:DeleteItem",
        Resource: base.historyTableArn,
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["drill-lock#*"] } },
      },
      {
        Effect: "Allow",
        Sid: "DrillRestoreKeys",
        Action: [
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncrypt*",
          "kms:CreateGrant",
        ],
        Resource: keyArn("eu-central-1"),
        Condition: {
          StringEquals: { "kms:ViaService": [via("ec2", "eu-central-1"), via("rds", "eu-central-1")] },
        },
      },
    ]);
    // No named sources and no tag: no source bucket statement, even with an empty list.
    assert.deepEqual(
      sids(await resolvedStatements(taskStatements({ ...base, sourceBuckets: [], tagDiscovery: false }, at))),
      sids(await resolvedStatements(taskStatements(base, at))),
    );
  });

  it("must list and read only the named source buckets' objects, never write them", async () => {
    const statements = await resolvedStatements(
      taskStatements({ ...base, sourceBuckets: ["acme-assets", "acme-uploads"] }, at),
    );
    assert.deepEqual(sids(statements).slice(-2), ["SourceBucketsList", "SourceBucketsRead"]);
    assert.deepEqual(bySid(statements, "SourceBucketsList"), {
      Effect: "Allow",
      Sid: "SourceBucketsList",
      Action: "s3:ListBucket",
      Resource: ["arn:aws:s3:::acme-assets", "arn:aws:s3:::acme-uploads"],
    });
    assert.deepEqual(bySid(statements, "SourceBucketsRead"), {
      Effect: "Allow",
      Sid: "SourceBucketsRead",
      Action: ["s3:GetObject", "s3:GetObjectTagging"],
      Resource: ["arn:aws:s3:::acme-assets/*", "arn:aws:s3:::acme-uploads/*"],
    });
    assert.equal(bySid(statements, "FindTaggedTargets"), undefined);
  });

  it("must discover tagged buckets and read any bucket when targets are selected by tag", async () => {
    const statements = await resolvedStatements(
      taskStatements({ ...base, sourceBuckets: ["acme-assets"], tagDiscovery: true }, at),
    );
    assert.deepEqual(sids(statements).slice(-3), [
      "FindTaggedTargets",
      "SourceBucketsList",
      "SourceBucketsRead",
    ]);
    assert.deepEqual(bySid(statements, "FindTaggedTargets"), {
      Effect: "Allow",
      Sid: "FindTaggedTargets",
      Action: ["s3:ListAllMyBuckets", "s3:GetBucketTagging"],
      Resource: "*",
    });
    // The documented trade-off: every bucket of the account, read-only.
    assert.deepEqual(bySid(statements, "SourceBucketsList")?.Resource, ["arn:aws:s3:::*"]);
    assert.deepEqual(bySid(statements, "SourceBucketsRead")?.Resource, ["arn:aws:s3:::*/*"]);
  });

  it("must start S3 Batch Operations jobs and pass only the jobs' own role, only to Batch Operations", async () => {
    const statements = await resolvedStatements(
      taskStatements({ ...base, s3BatchRoleName: pulumi.output("drox-batch") }, at),
    );
    assert.deepEqual(
      (statements as Resolved[]).filter((s) => /S3Batch/.test(s.Sid)),
      [
        // CreateJob supports no resource-level permission; DescribeJob is on
        // arn:aws:s3:<region>:<account>:job/<id>; a role without a path is arn:aws:iam::<account>:role/<name>.
        { Effect: "Allow", Sid: "S3BatchCreateJob", Action: "s3:CreateJob", Resource: "*" },
        {
          Effect: "Allow",
          Sid: "S3BatchDescribeJob",
          Action: "s3:DescribeJob",
          Resource: `arn:aws:s3:eu-central-1:${account}:job/*`,
        },
        {
          Effect: "Allow",
          Sid: "PassS3BatchRole",
          Action: "iam:PassRole",
          Resource: `arn:aws:iam::${account}:role/drox-batch`,
          Condition: { StringEquals: { "iam:PassedToService": "batchoperations.s3.amazonaws.com" } },
        },
      ],
    );
  });

  it("must let EC2 and RDS use the account's keys in both regions for cross-region copies, and tag snapshots there", async () => {
    const statements = await resolvedStatements(taskStatements({ ...base, drRegion: "eu-west-1" }, at));
    const viaService = [
      via("ec2", "eu-central-1"),
      via("rds", "eu-central-1"),
      via("ec2", "eu-west-1"),
      via("rds", "eu-west-1"),
    ];
    const keys = [keyArn("eu-central-1"), keyArn("eu-west-1")];
    assert.deepEqual(sids(statements).slice(-2), ["CrossRegionCopyKeys", "CrossRegionCopyGrants"]);
    assert.deepEqual(bySid(statements, "CrossRegionCopyKeys"), {
      Effect: "Allow",
      Sid: "CrossRegionCopyKeys",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: keys,
      Condition: { StringEquals: { "kms:ViaService": viaService } },
    });
    // Grants only for AWS resources (kms:GrantIsForAWSResource), as EC2 and RDS create them.
    assert.deepEqual(bySid(statements, "CrossRegionCopyGrants"), {
      Effect: "Allow",
      Sid: "CrossRegionCopyGrants",
      Action: "kms:CreateGrant",
      Resource: keys,
      Condition: {
        StringEquals: { "kms:ViaService": viaService },
        Bool: { "kms:GrantIsForAWSResource": "true" },
      },
    });
    assert.deepEqual(bySid(statements, "TagOwnRdsSnapshots"), {
      Effect: "Allow",
      Sid: "TagOwnRdsSnapshots",
      Action: "rds:AddTagsToResource",
      Resource: [
        `arn:aws:rds:eu-central-1:${account}:snapshot:drox-*`,
        `arn:aws:rds:eu-west-1:${account}:snapshot:drox-*`,
      ],
    });
  });
});

describe("infra: the execution role's statements (executionStatements)", () => {
  // ARN formats of ECR repositories, CloudWatch Logs log groups and Secrets Manager secrets.
  const p = {
    repositoryArn: "arn:aws:ecr:eu-central-1:111122223333:repository/drox-backup",
    logGroupArn: "arn:aws:logs:eu-central-1:111122223333:log-group:drox-backup",
    kmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    region: pulumi.output("eu-central-1"),
  };
  // What ECS's task execution role guide lists for pulling from a private ECR repository and
  // sending the container's logs with the awslogs driver.
  const pullAndLog = [
    { Effect: "Allow", Sid: "EcrAuth", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Effect: "Allow",
      Sid: "PullImage",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: p.repositoryArn,
    },
    {
      // Log streams are …:log-group:<name>:log-stream:<stream>, under the group's `:*`.
      Effect: "Allow",
      Sid: "WriteLogs",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${p.logGroupArn}:*`,
    },
  ];

  it("must let ECS read exactly the injected secrets, decrypting them only through Secrets Manager", async () => {
    const secrets = [
      "arn:aws:secretsmanager:eu-central-1:111122223333:secret:drox/slack-AbCdEf",
      "arn:aws:secretsmanager:eu-central-1:111122223333:secret:drox/notion-GhIjKl",
    ];
    assert.deepEqual(await resolvedStatements(executionStatements({ ...p, secretArns: secrets })), [
      ...pullAndLog,
      { Effect: "Allow", Sid: "InjectSecrets", Action: "secretsmanager:GetSecretValue", Resource: secrets },
      {
        Effect: "Allow",
        Sid: "DecryptSecrets",
        Action: "kms:Decrypt",
        Resource: p.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.eu-central-1.amazonaws.com"] } },
      },
    ]);
  });

  it("must grant no secret read and no key use to a task without secrets", async () => {
    assert.deepEqual(await resolvedStatements(executionStatements({ ...p, secretArns: [] })), pullAndLog);
  });
});
