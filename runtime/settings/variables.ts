/**
 * The environment variables the runtime reads that no stack key sets: the infrastructure's own
 * (topic, bucket, table), AWS's, and the ones for local runs and tests. With the settings'
 * variables (runtime/settings/declaration.ts) they are every variable the runtime reads;
 * components/runtime-env.ts wires both and `npm run gen:config` documents both.
 */
import type { EnvVar } from "./spec";

/** A variable the runtime reads that no stack key sets: the infrastructure's, AWS's or local. */
export interface RuntimeVariable extends Omit<EnvVar, "name" | "runtime"> {
  readonly default: string;
  readonly description: string;
}

const SLACK_TUNING = "runtime default sized to the notifier's 30 s timeout (4 tries within a 20 s budget)";
const EMULATOR = "local runs and tests against the AWS emulator";
const OPERATOR = "the operator's own shell: `drox-backup restore` runs there, not in AWS";

/** Variables the runtime reads besides the settings' own (each read where it is used). */
export const RUNTIME_VARIABLES = {
  PORT: {
    task: "always",
    setBy: "components/service.ts (the container port)",
    default: "8080",
    description: "HTTP service port",
  },
  HOST: {
    unset: "runtime default 0.0.0.0 is what awsvpc networking needs",
    default: "0.0.0.0",
    description: "HTTP service address",
  },
  TRUST_PROXY_HOPS: {
    task: "always",
    setBy: "components/service.ts (1: behind the ALB, so the rate limit is per client)",
    default: "0",
    description: "proxies in front of the service whose X-Forwarded-For is trusted",
  },
  EVENTS_TOPIC_ARN: { task: "always", default: "required for jobs", description: "the events topic" },
  BACKUP_BUCKET: {
    task: "always",
    default: "required for S3 backups and the check",
    description: "the backup bucket",
  },
  HISTORY_TABLE: {
    task: "always",
    // Bot mode keeps each Slack message ↔ Notion page link there (runtime/links/dynamodb.ts).
    slack: "botMode",
    notion: "botMode",
    default: "required for jobs",
    description: "the job history table",
  },
  S3_BATCH_ROLE_ARN: {
    task: "always",
    setBy:
      "components/task-definition.ts (the S3 Batch Operations copy jobs' role, components/s3-batch-role.ts)",
    default: "unset: the task copies every object",
    description: "the role S3 Batch Operations copy jobs run as",
  },
  AWS_REGION: {
    task: "always",
    unset: "Lambda sets it itself (a reserved variable there)",
    default: "the AWS SDK's own",
    description: "where AWS lives",
  },
  AWS_DEFAULT_REGION: {
    unset: "fallback of AWS_REGION for local runs",
    default: "—",
    description: "fallback of AWS_REGION",
  },
  AWS_ENDPOINT_URL: {
    unset: EMULATOR,
    default: "—",
    description: "the AWS emulator in local runs and tests",
  },
  AWS_ENDPOINT_URL_S3: { unset: EMULATOR, default: "—", description: "the emulator's S3 endpoint" },
  SLACK_MAX_ATTEMPTS: { unset: SLACK_TUNING, default: "4", description: "Slack requests per message" },
  SLACK_RETRY_BUDGET_SECONDS: {
    unset: SLACK_TUNING,
    default: "20",
    description: "Slack delivery budget per message",
  },
  SLACK_TIMEOUT_SECONDS: { unset: SLACK_TUNING, default: "5", description: "Slack per-request timeout" },
  NOTION_API_BASE_URL: {
    unset: "tests and the demo sandbox point the client at a fake Notion",
    default: "https://api.notion.com",
    description: "Notion API base URL",
  },
  SLACK_API_URL: {
    unset: "tests and the demo sandbox point the bot client at a fake Slack",
    default: "https://slack.com/api/",
    description: "Slack Web API base URL (bot mode)",
  },
  USER: { unset: OPERATOR, default: "—", description: "the operator's login name, recorded by restore" },
  LOGNAME: { unset: OPERATOR, default: "—", description: "fallback of USER" },
  USERNAME: { unset: OPERATOR, default: "—", description: "fallback of LOGNAME (Windows)" },
  AWS_PROFILE: {
    unset: OPERATOR,
    default: "—",
    description: "the operator's AWS profile, recorded by restore (never credentials)",
  },
} as const satisfies Record<string, RuntimeVariable>;
