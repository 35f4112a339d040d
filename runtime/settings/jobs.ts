/**
 * The jobs' settings, read once from the environment (the contract with the infrastructure),
 * through the settings declaration. Every error names the variable and says what a valid value
 * looks like.
 */
import { ConfigError } from "../contract/errors";
import { envName, readListSetting, readNumberSetting, readSetting } from "./read";

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

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** S3_BATCH_ROLE_ARN, set by the infrastructure (components/task-definition.ts). */
function roleArn(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && !ROLE_ARN.test(value)) {
    throw new ConfigError(
      `${name} must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "${value}"`,
    );
  }
  return value;
}

/** Settings come through their declaration; the infrastructure's own variables are read by name. */
export function readJobSettings(env: NodeJS.ProcessEnv = process.env): JobSettings {
  const displayTimeZone = readSetting(env, "displayTimeZone");
  const drRegion = readSetting(env, "drRegion");
  const region = text(env, "AWS_REGION") ?? text(env, "AWS_DEFAULT_REGION");
  if (drRegion !== undefined && drRegion === region) {
    throw new ConfigError(`${envName("drRegion")} must differ from AWS_REGION (both are ${drRegion})`);
  }
  const topic = text(env, "EVENTS_TOPIC_ARN");
  if (topic !== undefined && !topic.startsWith("arn:")) {
    throw new ConfigError(`EVENTS_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:…), got "${topic}"`);
  }
  const retentionDays = readNumberSetting(env, "retentionDays");
  return {
    region,
    eventsTopicArn: topic,
    backupBucket: text(env, "BACKUP_BUCKET"),
    historyTable: text(env, "HISTORY_TABLE"),
    ebsVolumeIds: readListSetting(env, "ebsVolumeIds"),
    rdsInstanceIds: readListSetting(env, "rdsInstanceIds"),
    s3SourceBuckets: readListSetting(env, "s3SourceBuckets"),
    backupTag: readSetting(env, "backupTag"),
    retentionDays,
    drRegion,
    drRetentionDays: readNumberSetting(env, "drRetentionDays", { default: retentionDays }),
    drKmsKeyId: readSetting(env, "drKmsKeyId"),
    s3SyncConcurrency: readNumberSetting(env, "s3SyncConcurrency"),
    s3BatchThreshold: readNumberSetting(env, "s3BatchThreshold"),
    s3BatchRoleArn: roleArn(env, "S3_BATCH_ROLE_ARN"),
    jobTimeoutSeconds: readNumberSetting(env, "jobTimeoutSeconds"),
    displayTimeZone,
    historyRetentionDays: readNumberSetting(env, "historyRetentionDays"),
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
