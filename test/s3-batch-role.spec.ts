import assert from "node:assert/strict";
import { byName, cachedRun, policyOf, type ProgramRun } from "./support/pulumi-mocks";

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
