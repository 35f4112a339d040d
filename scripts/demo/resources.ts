/**
 * The sandbox's AWS account, in moto: two EBS volumes (one selected by the tag Backup=true, one
 * listed by id), an RDS instance, two source buckets with a few objects, the backup bucket locked
 * down as the infrastructure makes it, the history table with the key schema the DynamoDB history
 * expects, and the events topic with an SQS queue subscribed — the queue stands in for the two
 * Lambdas' subscriptions so the sandbox can read every published event back.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { historyTableDefinition } from "../../runtime/history/dynamodb";

export const DEMO = {
  taggedVolumeName: "demo-web-data",
  listedVolumeName: "demo-app-logs",
  dbInstance: "drox-demo-db",
  /** Does not exist: its backup fails on purpose, as in the guide's example. */
  missingDbInstance: "db-instance-1",
  sourceBuckets: ["drox-demo-app-assets", "drox-demo-reports"],
  backupBucket: "drox-demo-backups",
  historyTable: "drox-demo-history",
  topic: "drox-demo-events",
  queue: "drox-demo-events-tap",
  tag: { key: "Backup", value: "true" },
} as const;

export interface DemoAws {
  /** The job environment (targets, table, topic, bucket), on top of moto's AWS variables. */
  readonly env: Record<string, string>;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly volumes: { readonly tagged: string; readonly listed: string };
  readonly objects: number;
}

const OBJECTS: Record<string, Record<string, string>> = {
  "drox-demo-app-assets": {
    "index.html": "<h1>DROX</h1>",
    "css/site.css": "body { font-family: sans-serif; }",
    "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "config/app.json": JSON.stringify({ feature: "backups", enabled: true }),
  },
  "drox-demo-reports": {
    "2024/11/weekly-1.csv": "type,total,failed\nEBS,14,1\n",
    "2024/11/weekly-2.csv": "type,total,failed\nEBS,14,0\n",
    "README.txt": "Monthly exports land here.",
  },
};

async function hardenedBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
}

/** Creates everything in the account the AWS SDK points at (moto) and returns the job environment. */
export async function createDemoResources(region: string): Promise<DemoAws> {
  const ec2 = new EC2Client({});
  const rds = new RDSClient({});
  const s3 = new S3Client({ forcePathStyle: true });
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const dynamo = new DynamoDBClient({});
  const az = `${region}a`;

  const tagged = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: az,
      Size: 100,
      Encrypted: true,
      TagSpecifications: [
        {
          ResourceType: "volume",
          Tags: [
            { Key: "Name", Value: DEMO.taggedVolumeName },
            { Key: DEMO.tag.key, Value: DEMO.tag.value },
          ],
        },
      ],
    }),
  );
  const listed = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: az,
      Size: 8,
      Encrypted: true,
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: DEMO.listedVolumeName }] }],
    }),
  );
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: DEMO.dbInstance,
      DBInstanceClass: "db.t3.micro",
      Engine: "postgres",
      AllocatedStorage: 50,
      MasterUsername: "drox",
      MasterUserPassword: "sandbox-only-password",
      StorageEncrypted: true,
    }),
  );
  let objects = 0;
  for (const bucket of DEMO.sourceBuckets) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [key, body] of Object.entries(OBJECTS[bucket] ?? {})) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      objects += 1;
    }
  }
  await hardenedBucket(s3, DEMO.backupBucket);
  await dynamo.send(new CreateTableCommand(historyTableDefinition(DEMO.historyTable)));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: DEMO.topic }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: DEMO.queue }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(
    new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: attrs.Attributes?.QueueArn ?? "" }),
  );
  for (const client of [ec2, rds, s3, sns, dynamo]) client.destroy();

  const volumes = { tagged: tagged.VolumeId ?? "", listed: listed.VolumeId ?? "" };
  return {
    env: {
      EVENTS_TOPIC_ARN: TopicArn ?? "",
      HISTORY_TABLE: DEMO.historyTable,
      BACKUP_BUCKET: DEMO.backupBucket,
      BACKUP_TAG: `${DEMO.tag.key}=${DEMO.tag.value}`,
      EBS_VOLUME_IDS: volumes.listed,
      RDS_INSTANCE_IDS: `${DEMO.dbInstance},${DEMO.missingDbInstance}`,
      S3_SOURCE_BUCKETS: DEMO.sourceBuckets.join(","),
    },
    topicArn: TopicArn ?? "",
    queueUrl: QueueUrl ?? "",
    volumes,
    objects,
  };
}
