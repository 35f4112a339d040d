/**
 * Shared set-up for the jobs, history, publisher and CLI specs against moto: the history table,
 * the events topic with an SQS queue subscribed (to read published messages back), the backup
 * bucket, test volumes and DB instances, and JobDeps pointing at all of them.
 */
import { CreateVolumeCommand, EC2Client, type Tag as Ec2Tag } from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand, RDSClient, type Tag as RdsTag } from "@aws-sdk/client-rds";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { InitializeHandlerOptions, InitializeMiddleware, MetadataBearer } from "@smithy/types";
import { Writable } from "node:stream";
import { historyTableDefinition } from "../runtime/history/dynamodb";
import { readJobSettings } from "../runtime/settings/jobs";
import { createJobDeps, type JobDeps } from "../runtime/jobs/context";
import { createLogger } from "../runtime/logging/logger";
import { useMoto, type Moto } from "./support/moto";

export const TABLE = "drox-history-test";
export const BACKUP_BUCKET = "drox-backup-store";
export const DR_REGION = "us-west-2";

export interface AwsFixture {
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly sqs: SQSClient;
  /** Env for the jobs (and a spawned CLI). */
  readonly env: Record<string, string>;
}

export interface SnsEnvelope {
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** Snapshot waits polled every second (moto answers at once; the SDK's defaults are minutes). */
export const FAST_WAITS = {
  ebs: { minDelaySeconds: 1, maxDelaySeconds: 1 },
  rds: { minDelaySeconds: 1, maxDelaySeconds: 1 },
} as const;

/** What useJobsAws provides to the tests of one describe block. */
export interface JobsAws {
  readonly moto: Moto;
  /** This test's topic, probe queue and env (fresh before each test). */
  readonly fixture: AwsFixture;
}

/**
 * Registers the mocha hooks every AWS-backed jobs spec needs: moto started once, and before each
 * test a clean moto with the history table, the events topic with its probe queue and, with
 * `backupBucket`, the hardened backup bucket. Call it at the top of a describe block; hooks the
 * spec registers after it run after it.
 */
export function useJobsAws(options: { readonly backupBucket?: boolean } = {}): JobsAws {
  let moto: Moto | undefined;
  let fixture: AwsFixture | undefined;
  before(async () => {
    moto = await useMoto();
  });
  beforeEach(async () => {
    await moto!.reset();
    await createHistoryTable();
    fixture = await createTopicWithQueue(moto!);
    if (options.backupBucket) await createBackupBucket(motoS3());
  });
  return {
    get moto() {
      if (!moto) throw new Error("useJobsAws: moto is available in hooks and tests only");
      return moto;
    },
    get fixture() {
      if (!fixture) throw new Error("useJobsAws: the fixture is available in tests only");
      return fixture;
    },
  };
}

export interface TestVolumeOptions {
  readonly ec2?: EC2Client;
  /** GiB. @default 8 */
  readonly size?: number;
  /** @default true */
  readonly encrypted?: boolean;
  readonly tags?: readonly Ec2Tag[];
}

/** A volume in moto's us-east-1a; returns its id. */
export async function createTestVolume(options: TestVolumeOptions = {}): Promise<string> {
  const tags = options.tags ?? [];
  const out = await (options.ec2 ?? new EC2Client({})).send(
    new CreateVolumeCommand({
      AvailabilityZone: "us-east-1a",
      Size: options.size ?? 8,
      Encrypted: options.encrypted ?? true,
      ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: "volume", Tags: [...tags] }] } : {}),
    }),
  );
  return out.VolumeId!;
}

export interface TestDbInstanceOptions {
  readonly rds?: RDSClient;
  /** GiB. @default 20 */
  readonly allocatedStorage?: number;
  /** @default true */
  readonly encrypted?: boolean;
  readonly tags?: readonly RdsTag[];
}

/** A small postgres instance in moto. */
export async function createTestDbInstance(id: string, options: TestDbInstanceOptions = {}): Promise<void> {
  await (options.rds ?? new RDSClient({})).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: "db.t3.micro",
      Engine: "postgres",
      AllocatedStorage: options.allocatedStorage ?? 20,
      MasterUsername: "drox",
      MasterUserPassword: "not-a-secret-1",
      StorageEncrypted: options.encrypted ?? true,
      ...(options.tags ? { Tags: [...options.tags] } : {}),
    }),
  );
}

/** AWS tags as a plain object, for deepEqual. */
export function tagMap(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));
}

/** The value of `work` and how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await work();
  return { value, ms: Date.now() - start };
}

export async function createHistoryTable(name = TABLE): Promise<void> {
  await new DynamoDBClient({}).send(new CreateTableCommand(historyTableDefinition(name)));
}

export async function createBackupBucket(s3: S3Client, name = BACKUP_BUCKET, hardened = true): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (!hardened) return;
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: "Enabled" } }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: name,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: name,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
}

/** A topic with an SQS queue subscribed, as the Lambdas subscribe in AWS. */
export async function createTopicWithQueue(moto: Moto): Promise<AwsFixture> {
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "drox-events" }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "drox-events-probe" }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(
    new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: attrs.Attributes?.QueueArn ?? "" }),
  );
  return {
    topicArn: TopicArn ?? "",
    queueUrl: QueueUrl ?? "",
    sqs,
    env: {
      ...moto.env,
      EVENTS_TOPIC_ARN: TopicArn ?? "",
      HISTORY_TABLE: TABLE,
      BACKUP_BUCKET,
    },
  };
}

/** Every message currently in the queue, as SNS envelopes. */
export async function drainQueue(fixture: AwsFixture): Promise<SnsEnvelope[]> {
  const messages: SnsEnvelope[] = [];
  for (;;) {
    const out = await fixture.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: fixture.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) return messages;
    for (const m of batch) messages.push(JSON.parse(m.Body ?? "{}") as SnsEnvelope);
    await fixture.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: fixture.queueUrl,
        Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
}

/** A KMS key in a region, through moto's JSON API (the KMS client is not a dependency). */
export async function createKmsKey(moto: Moto, region: string): Promise<string> {
  const res = await fetch(moto.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "TrentService.CreateKey",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: "drox DR key" }),
  });
  if (!res.ok) throw new Error(`CreateKey failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { KeyMetadata: { Arn: string } };
  return body.KeyMetadata.Arn;
}

const silent = new Writable({ write: (_chunk, _enc, done) => done() });

export function testDeps(env: Record<string, string>, overrides: Partial<JobDeps> = {}): JobDeps {
  return createJobDeps(
    { logger: createLogger({ destination: silent, level: "silent" }), ...overrides },
    { ...process.env, ...env },
  );
}

export function motoS3(): S3Client {
  return new S3Client({ forcePathStyle: true });
}

export { readJobSettings };

interface OutputRewritable {
  readonly middlewareStack: {
    add(middleware: InitializeMiddleware<object, MetadataBearer>, options: InitializeHandlerOptions): void;
  };
}

/**
 * Rewrites what `client` returns for one operation, after moto answered: moto finishes snapshots at
 * once, so states AWS passes through (pending, error, copying) are produced here.
 */
export function rewriteOutput<O>(
  client: OutputRewritable,
  commandName: string,
  mutate: (output: O) => void,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === commandName) mutate(result.output as O);
      return result;
    },
    { step: "initialize", name: `rewrite-${commandName}` },
  );
}
