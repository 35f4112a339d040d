/**
 * The jobs' settings, read once from the environment (the contract with the infrastructure).
 * Every error names the variable and says what a valid value looks like.
 */
import { readInt } from "./env";
import { ConfigError } from "../contract/errors";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "../contract/time";

export interface TagSelector {
  readonly key: string;
  readonly value: string;
}

export interface JobSettings {
  readonly region?: string;
  readonly eventsTopicArn?: string;
  readonly backupBucket?: string;
  readonly historyTable?: string;
  readonly ebsVolumeIds: readonly string[];
  readonly rdsInstanceIds: readonly string[];
  readonly s3SourceBuckets: readonly string[];
  readonly backupTag?: TagSelector;
  readonly retentionDays: number;
  readonly drRegion?: string;
  readonly drRetentionDays: number;
  /** KMS key (id, ARN or alias) in the DR region for encrypted copies. */
  readonly drKmsKeyId?: string;
  readonly s3SyncConcurrency: number;
  /** New or resized objects one S3 run copies itself before handing the rest to S3 Batch Operations. */
  readonly s3BatchThreshold: number;
  /** The role S3 Batch Operations copy jobs run as; unset: the task copies every object. */
  readonly s3BatchRoleArn?: string;
  readonly jobTimeoutSeconds: number;
  readonly displayTimeZone: string;
  /** Days a history record is kept (DynamoDB TTL). */
  readonly historyRetentionDays: number;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  const value = text(env, name);
  if (!value) return [];
  return [...new Set(value.split(",").map((item) => item.trim()))].filter((item) => item.length > 0);
}

function tag(env: NodeJS.ProcessEnv, name: string): TagSelector | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const at = value.indexOf("=");
  const key = at > 0 ? value.slice(0, at).trim() : "";
  if (!key) throw new ConfigError(`${name} must be Key=Value (e.g. Backup=true), got "${value}"`);
  return { key, value: value.slice(at + 1).trim() };
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function roleArn(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && !ROLE_ARN.test(value)) {
    throw new ConfigError(
      `${name} must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "${value}"`,
    );
  }
  return value;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function readJobSettings(env: NodeJS.ProcessEnv = process.env): JobSettings {
  const displayTimeZone = text(env, "DISPLAY_TIME_ZONE") ?? DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(displayTimeZone)) {
    throw new ConfigError(
      `DISPLAY_TIME_ZONE must be an IANA time zone (e.g. Asia/Seoul), got "${displayTimeZone}"`,
    );
  }
  const drRegion = text(env, "DR_REGION");
  if (drRegion !== undefined && !REGION.test(drRegion)) {
    throw new ConfigError(`DR_REGION must be an AWS region (e.g. ap-northeast-3), got "${drRegion}"`);
  }
  const region = text(env, "AWS_REGION") ?? text(env, "AWS_DEFAULT_REGION");
  if (drRegion !== undefined && drRegion === region) {
    throw new ConfigError(`DR_REGION must differ from AWS_REGION (both are ${drRegion})`);
  }
  const topic = text(env, "EVENTS_TOPIC_ARN");
  if (topic !== undefined && !topic.startsWith("arn:")) {
    throw new ConfigError(`EVENTS_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:…), got "${topic}"`);
  }
  const retentionDays = readInt(env, "RETENTION_DAYS", { default: 7, min: 1, max: 3650 });
  return {
    region,
    eventsTopicArn: topic,
    backupBucket: text(env, "BACKUP_BUCKET"),
    historyTable: text(env, "HISTORY_TABLE"),
    ebsVolumeIds: list(env, "EBS_VOLUME_IDS"),
    rdsInstanceIds: list(env, "RDS_INSTANCE_IDS"),
    s3SourceBuckets: list(env, "S3_SOURCE_BUCKETS"),
    backupTag: tag(env, "BACKUP_TAG"),
    retentionDays,
    drRegion,
    drRetentionDays: readInt(env, "DR_RETENTION_DAYS", { default: retentionDays, min: 1, max: 3650 }),
    drKmsKeyId: text(env, "DR_KMS_KEY_ID"),
    s3SyncConcurrency: readInt(env, "S3_SYNC_CONCURRENCY", { default: 16, min: 1, max: 512 }),
    s3BatchThreshold: readInt(env, "S3_BATCH_THRESHOLD", { default: 100_000, min: 1, max: 1_000_000_000 }),
    s3BatchRoleArn: roleArn(env, "S3_BATCH_ROLE_ARN"),
    jobTimeoutSeconds: readInt(env, "JOB_TIMEOUT_SECONDS", { default: 1800, min: 1, max: 86_400 }),
    displayTimeZone,
    historyRetentionDays: readInt(env, "HISTORY_RETENTION_DAYS", { default: 400, min: 1, max: 3650 }),
  };
}

/** A setting a particular command cannot do without. */
export function required<K extends keyof JobSettings>(
  settings: JobSettings,
  key: K,
  envVar: string,
): NonNullable<JobSettings[K]> {
  const value = settings[key];
  if (value === undefined || value === null) {
    throw new ConfigError(`${envVar} is not set: it is required for this command`);
  }
  return value as NonNullable<JobSettings[K]>;
}
