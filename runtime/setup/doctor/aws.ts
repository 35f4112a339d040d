/**
 * AWS checks: the region, that the credentials are accepted, and that every configured target and
 * the pipeline's own resources exist. STS is not a dependency of drox-backup, so the credentials
 * are proven with EC2 DescribeRegions — a read every backup role may do anyway.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeRegionsCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { GetTopicAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { clientConfig } from "../../aws/clients";
import { HISTORY_INDEX, historyTableDefinition } from "../../history/dynamodb";
import { noTargetsFix } from "../../settings/declaration";
import { readJobSettings, type JobSettings } from "../../settings/jobs";
import { type Check, errorText, fail, ok, warn } from "./check";

interface Clients {
  readonly ec2: EC2Client;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly dynamo: DynamoDBClient;
}

/**
 * The runtime's client configuration (runtime/aws/clients.ts), with the region and endpoint taken
 * from the environment the doctor was given; a doctor should answer in seconds, so two attempts
 * and short timeouts.
 */
function createClients(env: NodeJS.ProcessEnv, region: string): Clients {
  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  const config = {
    ...clientConfig({ region, maxAttempts: 2, requestTimeoutMs: 10_000, connectionTimeoutMs: 3_000 }),
    ...(endpoint ? { endpoint } : {}),
  };
  return {
    ec2: new EC2Client(config),
    rds: new RDSClient(config),
    // Custom endpoints (moto, VPC endpoints by IP) rarely resolve bucket subdomains.
    s3: new S3Client({ ...config, forcePathStyle: Boolean(endpoint) }),
    sns: new SNSClient(config),
    dynamo: new DynamoDBClient(config),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

const CREDENTIALS_FIX =
  "configure AWS credentials the SDK finds (AWS_PROFILE after `aws sso login` or `aws configure`, " +
  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the task's role) for the account holding the backups";

async function exists(
  label: string,
  call: () => Promise<unknown>,
  notFound: (error: unknown) => boolean,
  fixNotFound: string,
  found: string,
): Promise<Check> {
  try {
    await call();
    return ok(label, found);
  } catch (error) {
    if (notFound(error)) return fail(label, `not found (${errorName(error)})`, fixNotFound);
    if (statusOf(error) === 403 || /AccessDenied|UnauthorizedOperation/.test(errorName(error))) {
      return fail(
        label,
        `access denied (${errorName(error)})`,
        "grant these credentials read access to it (the deployed roles have it)",
      );
    }
    return fail(label, `could not check: ${errorText(error)}`, "run again; check the region and network");
  }
}

async function checkTable(dynamo: DynamoDBClient, table: string, region: string): Promise<Check> {
  const label = `DynamoDB history table ${table} (HISTORY_TABLE)`;
  const fix = `create it with \`pulumi up\`, or set HISTORY_TABLE to the stack output historyTable (region ${region})`;
  try {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    const expected = historyTableDefinition(table);
    const hash = out.Table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
    const wantHash = expected.KeySchema?.[0]?.AttributeName;
    const index = out.Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === HISTORY_INDEX);
    if (hash !== wantHash || !index) {
      return fail(
        label,
        `exists, but its keys differ: partition key ${hash ?? "none"}${index ? "" : `, no index ${HISTORY_INDEX}`}`,
        `the table needs partition key ${wantHash} (S) and the global index ${HISTORY_INDEX} (monthKey, finishedKey) — let \`pulumi up\` create it`,
      );
    }
    return ok(label, `exists with key ${hash} and index ${HISTORY_INDEX}`);
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return fail(label, "not found", fix);
    return fail(label, `could not check: ${errorText(error)}`, "grant dynamodb:DescribeTable, or run again");
  }
}

function targetChecks(settings: JobSettings, clients: Clients): Promise<Check>[] {
  const { ec2, rds, s3, sns } = clients;
  const region = settings.region ?? "?";
  const pending: Promise<Check>[] = [];
  for (const id of settings.ebsVolumeIds) {
    pending.push(
      exists(
        `EBS volume ${id} (EBS_VOLUME_IDS)`,
        () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] })),
        (e) => /InvalidVolume\.(NotFound|Malformed)/.test(errorName(e)),
        `remove it from EBS_VOLUME_IDS or fix the id; volumes are per region (AWS_REGION=${region})`,
        "exists",
      ),
    );
  }
  for (const id of settings.rdsInstanceIds) {
    pending.push(
      exists(
        `RDS instance ${id} (RDS_INSTANCE_IDS)`,
        () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
        (e) => /DBInstanceNotFound/.test(errorName(e)),
        `remove it from RDS_INSTANCE_IDS or fix the identifier (backups would fail with "Database instance not found"); region ${region}`,
        "exists",
      ),
    );
  }
  const buckets = [
    ...settings.s3SourceBuckets.map((b) => ({ bucket: b, variable: "S3_SOURCE_BUCKETS" })),
    ...(settings.backupBucket ? [{ bucket: settings.backupBucket, variable: "BACKUP_BUCKET" }] : []),
  ];
  for (const { bucket, variable } of buckets) {
    pending.push(
      exists(
        `S3 bucket ${bucket} (${variable})`,
        () => s3.send(new HeadBucketCommand({ Bucket: bucket })),
        (e) => statusOf(e) === 404 || /NotFound|NoSuchBucket/.test(errorName(e)),
        variable === "BACKUP_BUCKET"
          ? "create it with `pulumi up`, or set BACKUP_BUCKET to the stack output backupBucket"
          : "remove it from S3_SOURCE_BUCKETS or fix the name",
        "exists",
      ),
    );
  }
  if (settings.eventsTopicArn) {
    const arn = settings.eventsTopicArn;
    pending.push(
      exists(
        `SNS events topic (EVENTS_TOPIC_ARN)`,
        () => sns.send(new GetTopicAttributesCommand({ TopicArn: arn })),
        (e) => /NotFound/.test(errorName(e)),
        "create it with `pulumi up`, or set EVENTS_TOPIC_ARN to the stack output eventsTopicArn",
        `${arn} exists`,
      ),
    );
  }
  if (settings.historyTable) pending.push(checkTable(clients.dynamo, settings.historyTable, region));
  if (settings.backupTag) {
    const { key, value } = settings.backupTag;
    pending.push(
      (async () => {
        const label = `BACKUP_TAG ${key}=${value}`;
        try {
          const out = await ec2.send(
            new DescribeVolumesCommand({ Filters: [{ Name: `tag:${key}`, Values: [value] }] }),
          );
          const count = out.Volumes?.length ?? 0;
          return count > 0
            ? ok(label, `selects ${count} EBS volume(s) (RDS instances and buckets are matched at run time)`)
            : warn(
                label,
                "selects no EBS volume",
                `tag the volumes to back up with ${key}=${value}, or list them in EBS_VOLUME_IDS`,
              );
        } catch (error) {
          return fail(label, `could not list volumes: ${errorText(error)}`, "grant ec2:DescribeVolumes");
        }
      })(),
    );
  }
  return pending;
}

export async function checkAws(env: NodeJS.ProcessEnv): Promise<Check[]> {
  let settings: JobSettings;
  try {
    settings = readJobSettings(env);
  } catch (error) {
    return [fail("backup settings", errorText(error), "fix the variable named above")];
  }
  const region = settings.region;
  if (!region) {
    return [
      fail(
        "AWS region",
        "neither AWS_REGION nor AWS_DEFAULT_REGION is set",
        "set AWS_REGION to the region of the backups, e.g. ap-northeast-2",
      ),
    ];
  }
  const checks: Check[] = [ok("AWS region", region)];
  const clients = createClients(env, region);
  try {
    const out = await clients.ec2.send(new DescribeRegionsCommand({}));
    checks.push(
      ok(
        "AWS credentials (EC2 DescribeRegions)",
        `accepted: ${out.Regions?.length ?? 0} regions visible${env.AWS_ENDPOINT_URL ? ` at ${env.AWS_ENDPOINT_URL}` : ""}`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(
        "AWS credentials (EC2 DescribeRegions)",
        `${errorName(error)}: ${errorText(error)}`,
        CREDENTIALS_FIX,
      ),
    );
    for (const client of Object.values(clients)) client.destroy();
    return checks;
  }
  const hasTargets =
    settings.ebsVolumeIds.length + settings.rdsInstanceIds.length + settings.s3SourceBuckets.length > 0 ||
    settings.backupTag !== undefined;
  if (!hasTargets) {
    checks.push(
      warn("backup targets", "none configured: `drox-backup run all` has nothing to back up", noTargetsFix()),
    );
  }
  for (const [value, variable, output] of [
    [settings.eventsTopicArn, "EVENTS_TOPIC_ARN", "eventsTopicArn"],
    [settings.historyTable, "HISTORY_TABLE", "historyTable"],
  ] as const) {
    if (!value) {
      checks.push(
        warn(
          variable,
          "not set: the jobs cannot record or publish results",
          `set it to the stack output ${output}`,
        ),
      );
    }
  }
  if (settings.s3SourceBuckets.length > 0 && !settings.backupBucket) {
    checks.push(
      fail("BACKUP_BUCKET", "not set, but S3_SOURCE_BUCKETS is", "set it to the stack output backupBucket"),
    );
  }
  try {
    checks.push(...(await Promise.all(targetChecks(settings, clients))));
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
  return checks;
}
