/**
 * Every environment variable the runtime (runtime/**) reads, and where the infrastructure provides
 * it: the ECS container (the HTTP service and the scheduled jobs share one task definition) and the
 * two notification Lambdas. One list, so a variable the runtime starts reading cannot go unwired:
 * test/infra-runtime-env.spec.ts checks this list against a scan of runtime/ and against the
 * resources the program registers.
 */

/** How a consumer gets a variable. */
export type Provision =
  /** A plain environment variable, in every stack. */
  | "always"
  /** A plain environment variable, when its config key (or targets) are set. */
  | "configured"
  /** ECS `secrets` (Secrets Manager ARN resolved at task start), in every stack. */
  | "secret"
  /** ECS `secrets`, when its optional secret config key is set. */
  | "optionalSecret";

export interface RuntimeEnvVar {
  /** The ECS container (service and scheduled jobs). */
  readonly task?: Provision;
  /** The Slack notifier Lambda. */
  readonly slack?: Provision;
  /** The Notion logger Lambda. */
  readonly notion?: Provision;
  /** Why no consumer gets it from the infrastructure (set by AWS, or for local runs and tests). */
  readonly unset?: string;
}

const LOCAL_SECRET_VALUE =
  "local runs and tests; in AWS the value arrives by its *_SECRET_ARN or ECS secrets";
const LAMBDA_TUNING = "runtime default sized to the notifier's 30 s timeout (4 tries within a 20 s budget)";

export const RUNTIME_ENV = {
  // Service
  PORT: { task: "always" },
  HOST: { unset: "runtime default 0.0.0.0 is what awsvpc networking needs" },
  TRUST_PROXY_HOPS: { task: "always" },
  SHUTDOWN_GRACE_SECONDS: { task: "always" },
  RATE_LIMIT_MAX: { task: "configured" },
  API_TOKEN: { task: "secret" },
  API_TOKEN_SECRET_ARN: { unset: "the container gets API_TOKEN through ECS secrets" },
  // Jobs
  EVENTS_TOPIC_ARN: { task: "always" },
  BACKUP_BUCKET: { task: "always" },
  HISTORY_TABLE: { task: "always" },
  HISTORY_RETENTION_DAYS: { task: "always" },
  EBS_VOLUME_IDS: { task: "always" },
  RDS_INSTANCE_IDS: { task: "always" },
  S3_SOURCE_BUCKETS: { task: "always" },
  BACKUP_TAG: { task: "configured" },
  RETENTION_DAYS: { task: "always" },
  DR_REGION: { task: "configured" },
  DR_RETENTION_DAYS: { task: "configured" },
  DR_KMS_KEY_ID: { task: "configured" },
  S3_SYNC_CONCURRENCY: { task: "configured" },
  S3_BATCH_THRESHOLD: { task: "configured" },
  S3_BATCH_ROLE_ARN: { task: "always" },
  JOB_TIMEOUT_SECONDS: { task: "configured" },
  AWS_REGION: { task: "always", unset: "Lambda sets it itself (a reserved variable there)" },
  AWS_DEFAULT_REGION: { unset: "fallback of AWS_REGION for local runs" },
  AWS_ENDPOINT_URL: { unset: "local runs and tests against the AWS emulator" },
  AWS_ENDPOINT_URL_S3: { unset: "local runs and tests against the AWS emulator" },
  // Messages (service, jobs and both Lambdas)
  DISPLAY_TIME_ZONE: { task: "always", slack: "always", notion: "always" },
  SUCCESS_RATE_OK: { task: "always", slack: "always", notion: "always" },
  SUCCESS_RATE_WARN: { task: "always", slack: "always", notion: "always" },
  LOG_LEVEL: { task: "configured", slack: "configured", notion: "configured" },
  // Slack
  SLACK_WEBHOOK_URL: { task: "secret", unset: LOCAL_SECRET_VALUE },
  SLACK_WEBHOOK_SECRET_ARN: { slack: "always" },
  SLACK_ALERTS_WEBHOOK_URL: { task: "optionalSecret", unset: LOCAL_SECRET_VALUE },
  SLACK_ALERTS_WEBHOOK_SECRET_ARN: { slack: "configured" },
  SLACK_REPORTS_WEBHOOK_URL: { task: "optionalSecret", unset: LOCAL_SECRET_VALUE },
  SLACK_REPORTS_WEBHOOK_SECRET_ARN: { slack: "configured" },
  SLACK_MAX_ATTEMPTS: { unset: LAMBDA_TUNING },
  SLACK_RETRY_BUDGET_SECONDS: { unset: LAMBDA_TUNING },
  SLACK_TIMEOUT_SECONDS: { unset: LAMBDA_TUNING },
  // Notion
  NOTION_TOKEN: { task: "secret", unset: LOCAL_SECRET_VALUE },
  NOTION_TOKEN_SECRET_ARN: { notion: "always" },
  NOTION_DATABASE_ID: { task: "always", notion: "always" },
  NOTION_API_BASE_URL: { unset: "tests and the demo sandbox point the client at a fake Notion" },
} as const satisfies Record<string, RuntimeEnvVar>;

export type RuntimeEnvName = keyof typeof RUNTIME_ENV;
export type Consumer = "task" | "slack" | "notion";

/** The variables a consumer gets, by how it gets them. */
export function envFor(consumer: Consumer, provisions: readonly Provision[]): RuntimeEnvName[] {
  return (Object.entries(RUNTIME_ENV) as [RuntimeEnvName, RuntimeEnvVar][])
    .filter(([, spec]) => {
      const provision = spec[consumer];
      return provision !== undefined && provisions.includes(provision);
    })
    .map(([name]) => name)
    .sort();
}
