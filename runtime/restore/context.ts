/**
 * What a restore needs, built from the environment the CLI runs in: the same AWS clients as the
 * jobs (runtime/aws/clients.ts) — in the DR region with `--region` — and the history table and
 * events topic when they are configured. Tests pass their own pieces.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  createDynamoDbClient,
  createEc2Client,
  createRdsClient,
  createS3Client,
  createSnsClient,
} from "../aws/clients";
import { SnsEventPublisher } from "../publishing/sns";
import { readJobSettings, type JobSettings } from "../settings/jobs";
import { operatorName } from "./event";
import { DynamoDbRestoreHistory, type RestoreSinks } from "./record";

export interface RestoreDeps extends RestoreSinks {
  readonly settings: JobSettings;
  readonly ec2: EC2Client;
  readonly rds: RDSClient;
  readonly s3: S3Client;
  /** The region restored in when it is not the stack's own (`--region`, the DR copies). */
  readonly region?: string;
  readonly requestedBy: string;
  readonly now: () => Date;
}

export function createRestoreDeps(
  options: { readonly region?: string } = {},
  overrides: Partial<RestoreDeps> = {},
  env: NodeJS.ProcessEnv = process.env,
): RestoreDeps {
  const settings = overrides.settings ?? readJobSettings(env);
  const region = options.region;
  const history =
    "history" in overrides
      ? overrides.history
      : settings.historyTable
        ? new DynamoDbRestoreHistory(
            createDynamoDbClient(),
            settings.historyTable,
            settings.historyRetentionDays,
          )
        : undefined;
  const publisher =
    "publisher" in overrides
      ? overrides.publisher
      : settings.eventsTopicArn
        ? new SnsEventPublisher(createSnsClient(), settings.eventsTopicArn)
        : undefined;
  return {
    settings,
    ec2: overrides.ec2 ?? createEc2Client({ region }),
    rds: overrides.rds ?? createRdsClient({ region }),
    s3: overrides.s3 ?? createS3Client(),
    region: overrides.region ?? region,
    history,
    publisher,
    requestedBy: overrides.requestedBy ?? operatorName(env),
    now: overrides.now ?? (() => new Date()),
  };
}
