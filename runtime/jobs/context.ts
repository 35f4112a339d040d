/**
 * What a job needs, built once per run from the environment; tests pass their own pieces.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3ControlClient } from "@aws-sdk/client-s3-control";
import {
  createDynamoDbClient,
  createEc2Client,
  createRdsClient,
  createS3Client,
  createSnsClient,
} from "../aws/clients";
import { DynamoDbHistoryStore } from "../history/dynamodb";
import type { HistoryStore } from "../history/store";
import { readJobSettings, required, type JobSettings } from "../settings/jobs";
import { createLogger, type Logger } from "../logging/logger";
import type { EventPublisher } from "../publishing/publisher";
import { SnsEventPublisher } from "../publishing/sns";

export interface JobDeps {
  readonly settings: JobSettings;
  readonly ec2: EC2Client;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  /** S3 Batch Operations jobs (./s3-batch.ts); created when first needed otherwise. */
  readonly s3Control?: S3ControlClient;
  /** Clients in the DR region, when DR_REGION is set. */
  readonly drEc2?: EC2Client;
  readonly drRds?: RDSClient;
  readonly history: HistoryStore;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** Builds whatever `overrides` does not supply; history and publisher are created lazily per need. */
export function createJobDeps(
  overrides: Partial<JobDeps> = {},
  env: NodeJS.ProcessEnv = process.env,
): JobDeps {
  const settings = overrides.settings ?? readJobSettings(env);
  const dr = settings.drRegion;
  return {
    settings,
    ec2: overrides.ec2 ?? createEc2Client(),
    rds: overrides.rds ?? createRdsClient(),
    s3: overrides.s3 ?? createS3Client(),
    ...(overrides.s3Control ? { s3Control: overrides.s3Control } : {}),
    drEc2: overrides.drEc2 ?? (dr ? createEc2Client({ region: dr }) : undefined),
    drRds: overrides.drRds ?? (dr ? createRdsClient({ region: dr }) : undefined),
    history:
      overrides.history ??
      new DynamoDbHistoryStore({
        client: createDynamoDbClient(),
        tableName: required(settings, "historyTable", "HISTORY_TABLE"),
        retentionDays: settings.historyRetentionDays,
      }),
    publisher:
      overrides.publisher ??
      new SnsEventPublisher(createSnsClient(), required(settings, "eventsTopicArn", "EVENTS_TOPIC_ARN")),
    logger: overrides.logger ?? createLogger({ name: "drox-backup-jobs" }),
    now: overrides.now ?? (() => new Date()),
  };
}
