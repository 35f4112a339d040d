/**
 * Where backups and their history live: the backup bucket (versioned, KMS-encrypted, never public,
 * old versions expired after the retention, optionally under S3 Object Lock so nobody can delete a
 * backup early), the job history table, and the customer-managed KMS key that encrypts them and
 * the topics. The key policy lets CloudWatch use the key, or alarms could not publish to the
 * encrypted alerts topic.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { historyTableSchema } from "./history-table";
import { policyDocument } from "./iam";
import { kmsAliasName, kmsAliasProblem } from "./naming";

export interface StoreArgs {
  /** AWS account id, for the key policy. */
  readonly accountId: pulumi.Input<string>;
  /** Days a replaced or deleted backup object version is kept. @default 7 */
  readonly retentionDays?: number;
  /** S3 Object Lock default retention; unset means no Object Lock. @default undefined */
  readonly objectLock?: { readonly mode: "GOVERNANCE" | "COMPLIANCE"; readonly days: number };
  /** The key's alias, unique per account and region. @default `alias/<name>-<stack>` */
  readonly keyAlias?: string;
  /** Let `pulumi destroy` delete a non-empty bucket (dev stacks only). @default false */
  readonly forceDestroy?: boolean;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

export class Store extends pulumi.ComponentResource {
  /** The backup bucket's name (BACKUP_BUCKET). */
  public readonly bucketName: pulumi.Output<string>;
  /** The backup bucket's ARN. */
  public readonly bucketArn: pulumi.Output<string>;
  /** The history table's name (HISTORY_TABLE). */
  public readonly tableName: pulumi.Output<string>;
  /** The history table's ARN. */
  public readonly tableArn: pulumi.Output<string>;
  /** The KMS key encrypting the bucket, table, topics and secrets. */
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: StoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:store:Store", name, {}, opts);
    const retentionDays = args.retentionDays ?? 7;
    const forceDestroy = args.forceDestroy ?? false;
    const tags = args.tags ?? {};
    const keyAlias = args.keyAlias ?? kmsAliasName(name);
    const aliasProblem = kmsAliasProblem(keyAlias);
    if (aliasProblem) throw new Error(`Store: keyAlias ${aliasProblem}`);
    if (args.objectLock && forceDestroy) {
      throw new Error(
        "Store: objectLock and forceDestroy contradict: locked backups cannot be destroyed early",
      );
    }

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: "drox-backup: backups, history, topics and secrets",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument([
          {
            Sid: "AccountAdministers",
            Action: "kms:*",
            Resource: "*",
            Principal: { AWS: pulumi.interpolate`arn:aws:iam::${args.accountId}:root` },
          },
          {
            Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
          },
        ]),
        tags,
      },
      { parent: this },
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: keyAlias, targetKeyId: key.keyId }, { parent: this });

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { objectLockEnabled: args.objectLock !== undefined, forceDestroy, tags },
      { parent: this },
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-bucket-pab`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-bucket-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-bucket-sse`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-bucket-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-old-backup-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: retentionDays },
            expiration: { expiredObjectDeleteMarker: true },
          },
          {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: bucket.id,
        policy: policyDocument([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]),
      },
      { parent: this },
    );
    if (args.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-bucket-lock`,
        {
          bucket: bucket.id,
          rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
        },
        { parent: this, dependsOn: [versioning] },
      );
    }

    const schema = historyTableSchema();
    const table = new aws.dynamodb.Table(
      `${name}-history`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: schema.hashKey,
        ...(schema.rangeKey ? { rangeKey: schema.rangeKey } : {}),
        attributes: schema.attributes,
        globalSecondaryIndexes: schema.globalSecondaryIndexes,
        ttl: { attributeName: schema.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
        deletionProtectionEnabled: !forceDestroy,
        tags,
      },
      { parent: this },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.keyArn = key.arn;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      tableName: this.tableName,
      tableArn: this.tableArn,
      keyArn: this.keyArn,
    });
  }
}
