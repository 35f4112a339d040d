import assert from "node:assert/strict";
import { byName, cachedRun, ofType, policyOf, type ProgramRun } from "./support/pulumi-mocks";
import { historyTableDefinition } from "../runtime/history/dynamodb";

const KEY = "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key";

describe("infra: store (backup bucket, history table, key)", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must version, KMS-encrypt and fully block public access to the backup bucket", () => {
    assert.deepEqual(
      byName(dev, "aws:s3/bucketVersioning:BucketVersioning", "drox-backup-bucket-versioning").inputs
        .versioningConfiguration,
      {
        status: "Enabled",
      },
    );
    assert.deepEqual(
      byName(
        dev,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "drox-backup-bucket-sse",
      ).inputs.rules,
      [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
          bucketKeyEnabled: true,
        },
      ],
    );
    const pab = byName(
      dev,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "drox-backup-bucket-pab",
    ).inputs;
    assert.deepEqual(
      [pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets],
      [true, true, true, true],
    );
    // Every request over plain HTTP, by anyone, to the bucket and its objects is denied: S3's
    // documented policy for enforcing encryption in transit (aws:SecureTransport is "false").
    const bucket = "arn:aws:s3:::drox-backup-bucket";
    assert.deepEqual(
      policyOf(byName(dev, "aws:s3/bucketPolicy:BucketPolicy", "drox-backup-bucket-policy")).Statement,
      [
        {
          Effect: "Deny",
          Sid: "DenyInsecureTransport",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket, `${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    );
  });

  it("must expire replaced backup versions after the retention", () => {
    const rules = (run: ProgramRun) =>
      byName(
        run,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "drox-backup-bucket-lifecycle",
      ).inputs.rules as Record<string, unknown>[];
    assert.deepEqual(rules(dev)[0]!.noncurrentVersionExpiration, { noncurrentDays: 7 });
    assert.deepEqual(rules(prod)[0]!.noncurrentVersionExpiration, { noncurrentDays: 30 });
    assert.deepEqual(rules(prod)[1]!.abortIncompleteMultipartUpload, { daysAfterInitiation: 1 });
  });

  it("must put backups under Object Lock only when configured", () => {
    assert.equal(byName(prod, "aws:s3/bucket:Bucket", "drox-backup-bucket").inputs.objectLockEnabled, true);
    assert.deepEqual(
      byName(
        prod,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "drox-backup-bucket-lock",
      ).inputs.rule,
      { defaultRetention: { mode: "GOVERNANCE", days: 30 } },
    );
    assert.equal(byName(dev, "aws:s3/bucket:Bucket", "drox-backup-bucket").inputs.objectLockEnabled, false);
    assert.equal(ofType(dev, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 0);
  });

  it("must create the history table with the runtime's key schema, TTL, PITR and the stack key", () => {
    const table = byName(dev, "aws:dynamodb/table:Table", "drox-backup-history").inputs;
    assert.equal(table.billingMode, "PAY_PER_REQUEST");
    // The runtime's own CreateTable definition, translated: the table cannot drift from the code.
    const definition = historyTableDefinition("t");
    assert.deepEqual(definition.KeySchema, [{ AttributeName: "jobId", KeyType: "HASH" }]);
    assert.equal(table.hashKey, "jobId");
    assert.equal(table.rangeKey, undefined);
    assert.deepEqual(table.attributes, [
      { name: "jobId", type: "S" },
      { name: "monthKey", type: "S" },
      { name: "finishedKey", type: "S" },
    ]);
    assert.deepEqual(table.globalSecondaryIndexes, [
      { name: "byMonth", hashKey: "monthKey", rangeKey: "finishedKey", projectionType: "ALL" },
    ]);
    assert.deepEqual(table.ttl, { attributeName: "expiresAt", enabled: true });
    assert.deepEqual(table.pointInTimeRecovery, { enabled: true });
    assert.deepEqual(table.serverSideEncryption, { enabled: true, kmsKeyArn: KEY });
    assert.equal(table.deletionProtectionEnabled, true);
  });

  it("must rotate the key and let CloudWatch (this account) use it for the encrypted alerts topic", () => {
    const key = byName(dev, "aws:kms/key:Key", "drox-backup-key");
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(key.inputs.deletionWindowInDays, 30);
    assert.equal(key.inputs.description, "drox-backup: backups, history, topics and secrets");
    assert.deepEqual(policyOf(key).Statement, [
      {
        // KMS's default key policy statement: the account (its root principal) may use and
        // administer the key, which lets IAM policies grant the roles their use of it.
        Effect: "Allow",
        Sid: "AccountAdministers",
        Action: "kms:*",
        Resource: "*",
        Principal: { AWS: "arn:aws:iam::123456789012:root" },
      },
      {
        // What a CloudWatch alarm needs to publish to an SSE-KMS topic (SNS's key management guide).
        Effect: "Allow",
        Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
  });
});
