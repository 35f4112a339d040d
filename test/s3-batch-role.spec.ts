import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, type Statement } from "../components/iam";
import { s3BatchStatements } from "../components/s3-batch-role";
import { byName, cachedRun, policyOf, type ProgramRun } from "./support/pulumi-mocks";

/** A document's statements as IAM reads them (inputs resolved; outside a deployment apply runs once). */
const resolvedStatements = (statements: readonly Statement[]): Promise<unknown> =>
  new Promise((resolve) => {
    policyDocument(statements).apply((text) =>
      resolve((JSON.parse(text) as { Statement: unknown }).Statement),
    );
  });

describe("infra: the S3 Batch Operations role's statements (s3BatchStatements)", () => {
  // AWS's documentation account; bucket ARNs are arn:aws:s3:::<bucket>[/<key>].
  const args = {
    backupBucketArn: pulumi.output("arn:aws:s3:::drox-backups"),
    kmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    accountId: "111122223333",
    region: "eu-central-1",
  };
  // The PutObjectCopy job's manifest (GetObject, GetObjectVersion) and report (PutObject) permissions
  // of the S3 user guide, under the stack's .drox-backup/batch/ prefix, and the key through S3.
  const files = [
    {
      Effect: "Allow",
      Sid: "ReadManifests",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: "arn:aws:s3:::drox-backups/.drox-backup/batch/*",
    },
    {
      Effect: "Allow",
      Sid: "WriteReports",
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::drox-backups/.drox-backup/batch/*",
    },
    {
      Effect: "Allow",
      Sid: "UseStackKey",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: args.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": ["s3.eu-central-1.amazonaws.com"] } },
    },
  ];

  it("must copy from each named source into its own prefix of the backup bucket only", async () => {
    assert.deepEqual(
      await resolvedStatements(s3BatchStatements({ ...args, sourceBuckets: ["acme-assets"] })),
      [
        {
          Effect: "Allow",
          Sid: "ListSources",
          Action: "s3:ListBucket",
          Resource: ["arn:aws:s3:::acme-assets"],
        },
        {
          Effect: "Allow",
          Sid: "ReadSources",
          Action: ["s3:GetObject", "s3:GetObjectTagging"],
          Resource: ["arn:aws:s3:::acme-assets/*"],
        },
        {
          Effect: "Allow",
          Sid: "WriteCopies",
          Action: ["s3:PutObject", "s3:PutObjectTagging"],
          Resource: ["arn:aws:s3:::drox-backups/acme-assets/*"],
        },
        ...files,
      ],
    );
  });

  it("must grant no source bucket and no copy destination when targets are selected by tag only", async () => {
    assert.deepEqual(await resolvedStatements(s3BatchStatements({ ...args, sourceBuckets: [] })), files);
  });
});

describe("infra: the S3 Batch Operations copy jobs' role", () => {
  let prod: ProgramRun;
  before(async () => {
    prod = await cachedRun("prod");
  });

  it("must be assumable by S3 Batch Operations of this account only", () => {
    const trust = policyOf(
      byName(prod, "aws:iam/role:Role", "drox-backup-s3-batch-role"),
      "assumeRolePolicy",
    );
    assert.deepEqual(trust.Statement, [
      {
        Effect: "Allow",
        Principal: { Service: "batchoperations.s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
  });

  it("must read the named sources, write only under their prefixes, read manifests and write reports", () => {
    const backup = "arn:aws:s3:::drox-backup-bucket";
    const policy = policyOf(byName(prod, "aws:iam/rolePolicy:RolePolicy", "drox-backup-s3-batch-policy"));
    assert.deepEqual(policy.Statement, [
      {
        Effect: "Allow",
        Sid: "ListSources",
        Action: "s3:ListBucket",
        Resource: ["arn:aws:s3:::drox-prod-assets", "arn:aws:s3:::drox-prod-uploads"],
      },
      {
        Effect: "Allow",
        Sid: "ReadSources",
        Action: ["s3:GetObject", "s3:GetObjectTagging"],
        Resource: ["arn:aws:s3:::drox-prod-assets/*", "arn:aws:s3:::drox-prod-uploads/*"],
      },
      {
        Effect: "Allow",
        Sid: "WriteCopies",
        Action: ["s3:PutObject", "s3:PutObjectTagging"],
        Resource: [`${backup}/drox-prod-assets/*`, `${backup}/drox-prod-uploads/*`],
      },
      {
        Effect: "Allow",
        Sid: "ReadManifests",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${backup}/.drox-backup/batch/*`,
      },
      {
        Effect: "Allow",
        Sid: "WriteReports",
        Action: "s3:PutObject",
        Resource: `${backup}/.drox-backup/batch/*`,
      },
      {
        Effect: "Allow",
        Sid: "UseStackKey",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key",
        Condition: { StringEquals: { "kms:ViaService": ["s3.ap-northeast-2.amazonaws.com"] } },
      },
    ]);
  });
});
