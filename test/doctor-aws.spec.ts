import assert from "node:assert/strict";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { buildProgram } from "../runtime/cli";
import { registerDoctorCommand } from "../runtime/commands/doctor";
import type { CliIo } from "../runtime/commands/io";
import { historyTableDefinition } from "../runtime/history/dynamodb";
import { type Check, checkAws } from "../runtime/setup/doctor";
import { motoS3 } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

function check(checks: readonly Check[], name: string): Check {
  const found = checks.find((c) => c.name === name);
  assert.ok(found, `no check ${name}; got:\n${checks.map((c) => c.name).join("\n")}`);
  return found;
}

describe("drox-backup doctor: AWS", function () {
  this.timeout(60_000);
  let moto: Moto;
  let env: Record<string, string>;
  let volumeId: string;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    const ec2 = new EC2Client({});
    const volume = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 8,
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Backup", Value: "true" }] }],
      }),
    );
    volumeId = volume.VolumeId!;
    await new RDSClient({}).send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "db-prod-1",
        DBInstanceClass: "db.t3.micro",
        Engine: "postgres",
        AllocatedStorage: 20,
        MasterUsername: "drox",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    const s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: "app-assets" }));
    await s3.send(new CreateBucketCommand({ Bucket: "drox-backups" }));
    const { TopicArn } = await new SNSClient({}).send(new CreateTopicCommand({ Name: "drox-events" }));
    await new DynamoDBClient({}).send(new CreateTableCommand(historyTableDefinition("drox-history")));
    env = {
      ...moto.env,
      EBS_VOLUME_IDS: volumeId,
      RDS_INSTANCE_IDS: "db-prod-1",
      S3_SOURCE_BUCKETS: "app-assets",
      BACKUP_BUCKET: "drox-backups",
      EVENTS_TOPIC_ARN: TopicArn!,
      HISTORY_TABLE: "drox-history",
      BACKUP_TAG: "Backup=true",
    };
  });

  it("must pass when the credentials work and every configured resource exists", async () => {
    const checks = await checkAws(env);
    assert.deepEqual(
      checks.filter((c) => c.status !== "ok"),
      [],
    );
    assert.match(
      check(checks, "AWS credentials (EC2 DescribeRegions)").detail,
      /^accepted: \d+ regions visible/,
    );
    check(checks, `EBS volume ${volumeId} (EBS_VOLUME_IDS)`);
    check(checks, "RDS instance db-prod-1 (RDS_INSTANCE_IDS)");
    check(checks, "S3 bucket app-assets (S3_SOURCE_BUCKETS)");
    check(checks, "S3 bucket drox-backups (BACKUP_BUCKET)");
    check(checks, "SNS events topic (EVENTS_TOPIC_ARN)");
    assert.equal(
      check(checks, "DynamoDB history table drox-history (HISTORY_TABLE)").detail,
      "exists with key jobId and index byMonth",
    );
    assert.match(check(checks, "BACKUP_TAG Backup=true").detail, /^selects 1 EBS volume\(s\)/);
  });

  it("must name each configured target that does not exist", async () => {
    const checks = await checkAws({
      ...env,
      EBS_VOLUME_IDS: `${volumeId},vol-0123456789abcdef0`,
      RDS_INSTANCE_IDS: "db-prod-1,db-instance-1",
      S3_SOURCE_BUCKETS: "app-assets,no-such-bucket",
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:gone",
      HISTORY_TABLE: "no-such-table",
    });
    const failed = checks.filter((c) => c.status === "fail").map((c) => c.name);
    assert.deepEqual(failed.sort(), [
      "DynamoDB history table no-such-table (HISTORY_TABLE)",
      "EBS volume vol-0123456789abcdef0 (EBS_VOLUME_IDS)",
      "RDS instance db-instance-1 (RDS_INSTANCE_IDS)",
      "S3 bucket no-such-bucket (S3_SOURCE_BUCKETS)",
      "SNS events topic (EVENTS_TOPIC_ARN)",
    ]);
    const rds = check(checks, "RDS instance db-instance-1 (RDS_INSTANCE_IDS)");
    assert.match(rds.detail, /^not found \(DBInstanceNotFound/);
    assert.match(rds.fix ?? "", /Database instance not found/);
  });

  it("must fail a history table whose keys differ from what the history store writes", async () => {
    await new DynamoDBClient({}).send(
      new CreateTableCommand({
        TableName: "hand-made",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    const table = check(
      await checkAws({ ...env, HISTORY_TABLE: "hand-made" }),
      "DynamoDB history table hand-made (HISTORY_TABLE)",
    );
    assert.equal(table.status, "fail");
    assert.equal(table.detail, "exists, but its keys differ: partition key id, no index byMonth");
  });

  it("must fail the credentials check when AWS cannot be reached, and stop there", async () => {
    const checks = await checkAws({ ...env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
    assert.equal(checks.at(-1)!.name, "AWS credentials (EC2 DescribeRegions)");
    assert.equal(checks.at(-1)!.status, "fail");
    assert.match(checks.at(-1)!.fix ?? "", /AWS_PROFILE/);
  });

  it("must name the missing region, and warn when nothing is configured to back up", async () => {
    const noRegion = await checkAws({ ...env, AWS_REGION: "", AWS_DEFAULT_REGION: "" });
    assert.deepEqual(
      noRegion.map((c) => [c.status, c.name]),
      [["fail", "AWS region"]],
    );
    const empty = await checkAws(moto.env);
    assert.equal(check(empty, "backup targets").status, "warn");
    assert.equal(check(empty, "EVENTS_TOPIC_ARN").status, "warn");
  });

  it("must exit 1 from `doctor --only aws` when a target is missing", async () => {
    const lines: string[] = [];
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      isTTY: false,
      env: { ...env, RDS_INSTANCE_IDS: "db-instance-1" },
      exitCode: 0,
    };
    await buildProgram(io, [registerDoctorCommand]).parseAsync([
      "node",
      "drox-backup",
      "doctor",
      "--only",
      "aws",
    ]);
    assert.equal(io.exitCode, 1);
    assert.equal(lines[0], "AWS");
    assert.ok(
      lines.some((l) => l.startsWith("  ✗ RDS instance db-instance-1 (RDS_INSTANCE_IDS): not found")),
    );
    assert.ok(!lines.some((l) => l === "Slack" || l === "Notion"));
  });
});
