/**
 * Every setting of drox-backup, declared once: its stack key, type and range, default, whether it
 * is secret, the environment variable that carries it to the ECS task and/or the Lambdas, and the
 * line a user reads. config.ts reads the stack through this table, the runtime reads its
 * environment through it (runtime/settings/read.ts), components/runtime-env.ts wires the variables
 * from it, and `npm run gen:config` writes Pulumi.yaml's `config:` block and the tables of
 * docs/configuration.md from it. Adding a setting is one entry here plus `npm run gen:config`.
 *
 * The shape of an entry is in ./spec.ts, the value kinds (zod) in ./kinds.ts, the documented limits
 * and example values checked against in ./checks.ts, the variables no key sets in ./variables.ts.
 *
 * Rules that join keys sit right after the keys they join. Pure data and zod: no @pulumi imports
 * (runtime/ loads it), no heavy imports (the Lambdas load it).
 */
import { z } from "zod";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "../contract/time";
import { parseNotionId } from "../notion/ids";
import {
  describeMemory,
  drKmsKeyProblem,
  FARGATE_CPU,
  FARGATE_MEMORY,
  LOG_RETENTION_DAYS,
  PLACEHOLDERS,
} from "./checks";
import { flag, fraction, list, oneOf, parsed, refusing, text, whole } from "./kinds";
import { rule, type Problem, type Rule, type Specs } from "./spec";

export type { Consumer, EnvVar, Problem, Provision, Rule, RuleContext, SettingSpec, ValueOf } from "./spec";
export { FARGATE_MEMORY, LOG_RETENTION_DAYS, PLACEHOLDERS } from "./checks";
export { RUNTIME_VARIABLES, type RuntimeVariable } from "./variables";

const LOCAL_SECRET_VALUE =
  "local runs and tests; in AWS the value arrives by its *_SECRET_ARN or ECS secrets";

const secrets = {
  slackWebhookUrl: {
    ...text(),
    secret: true,
    required: "is required (pulumi config set --secret slackWebhookUrl <value>)",
    env: { name: "SLACK_WEBHOOK_URL", task: "secret", unset: LOCAL_SECRET_VALUE },
    arnEnv: { name: "SLACK_WEBHOOK_SECRET_ARN", slack: "always" },
    description:
      "Slack Incoming Webhook URL of the main channel (#devops-backup), https://hooks.slack.com/services/T…/B…/…",
  },
  slackAlertsWebhookUrl: {
    ...text(),
    secret: true,
    env: { name: "SLACK_ALERTS_WEBHOOK_URL", task: "optionalSecret", unset: LOCAL_SECRET_VALUE },
    arnEnv: { name: "SLACK_ALERTS_WEBHOOK_SECRET_ARN", slack: "configured" },
    description:
      "Optional webhook of the alerts channel (#devops-alerts) for failures and integrity problems",
  },
  slackReportsWebhookUrl: {
    ...text(),
    secret: true,
    env: { name: "SLACK_REPORTS_WEBHOOK_URL", task: "optionalSecret", unset: LOCAL_SECRET_VALUE },
    arnEnv: { name: "SLACK_REPORTS_WEBHOOK_SECRET_ARN", slack: "configured" },
    description: "Optional webhook of the reports channel (#devops-reports) for weekly reports",
  },
  notionToken: {
    ...text(),
    secret: true,
    required: "is required (pulumi config set --secret notionToken <value>)",
    env: { name: "NOTION_TOKEN", task: "secret", unset: LOCAL_SECRET_VALUE },
    // The Slack notifier updates the page's Slack_Log_Link when Slack finishes second (bot mode).
    arnEnv: { name: "NOTION_TOKEN_SECRET_ARN", notion: "always", slack: "botMode" },
    description: "Notion internal integration token (secret_… or ntn_…)",
  },
  apiToken: {
    ...text(),
    secret: true,
    required: "is required (pulumi config set --secret apiToken <value>)",
    env: { name: "API_TOKEN", task: "secret" },
    arnEnv: { name: "API_TOKEN_SECRET_ARN", unset: "the container gets API_TOKEN through ECS secrets" },
    description:
      "Bearer token of the HTTP API, at least 16 characters (generate with `openssl rand -hex 32`)",
  },
} as const satisfies Specs;

/**
 * Slack app (bot token) mode, issue 11: with a token, messages go through chat.postMessage to these
 * channels and Slack and Notion link to each other; without, the webhooks as before. A channel is
 * an id (C… public, G… private: https://api.slack.com/methods/chat.postMessage#arg_channel) or a
 * name, with or without `#`, as Slack names channels: lowercase letters, digits, `-`, `_` and `.`,
 * at most 80 characters (https://api.slack.com/methods/conversations.create#naming). Both Lambdas
 * read the token and the channels: whichever delivery finishes second completes the link.
 */
const SLACK_CHANNEL = /^#?[a-z0-9][a-z0-9._-]{0,79}$|^[CG][A-Z0-9]{6,}$/;
const channel = (variable: string, description: string) =>
  ({
    ...text(
      SLACK_CHANNEL,
      "must be a Slack channel id like C0123ABCD or a channel name like devops-backup (lowercase, with or without #)",
    ),
    env: { name: variable, task: "configured", slack: "configured", notion: "configured" },
    what: "a Slack channel id or name",
    example: "C0123ABCD or devops-backup",
    description,
  }) as const;

const bot = {
  slackBotToken: {
    ...text(
      /^xoxb-/,
      'must be a Slack bot token (xoxb-…, "Bot User OAuth Token" on the app\'s OAuth & Permissions page)',
    ),
    secret: true,
    env: { name: "SLACK_BOT_TOKEN", task: "optionalSecret", unset: LOCAL_SECRET_VALUE },
    arnEnv: { name: "SLACK_BOT_TOKEN_SECRET_ARN", slack: "configured", notion: "configured" },
    description:
      "Optional Slack app bot token (xoxb-…): messages through chat.postMessage, Slack and Notion linked both ways; unset keeps the webhooks",
  },
  slackBackupChannel: channel(
    "SLACK_BACKUP_CHANNEL",
    "Bot mode: the main channel (#devops-backup), its id or name; required with slackBotToken",
  ),
  slackAlertsChannel: channel(
    "SLACK_ALERTS_CHANNEL",
    "Bot mode: the alerts channel (#devops-alerts) for failures and integrity problems",
  ),
  slackReportsChannel: channel(
    "SLACK_REPORTS_CHANNEL",
    "Bot mode: the reports channel (#devops-reports) for weekly reports",
  ),
} as const satisfies Specs;
/** The bot mode channels, which only a Slack bot token puts to use (preview and doctor warn otherwise). */
export const BOT_CHANNEL_KEYS = ["slackBackupChannel", "slackAlertsChannel", "slackReportsChannel"] as const;

// isSet sees a secret key as set when it has a value; its value never reaches a rule.
const botNeedsChannel = rule(bot, (c) =>
  c.isSet("slackBotToken") && !c.isSet("slackBackupChannel")
    ? [
        [
          "slackBackupChannel",
          "is required with slackBotToken: the bot posts there (pulumi config set slackBackupChannel devops-backup), or unset slackBotToken to use the webhooks",
        ],
      ]
    : [],
);

const notion = {
  notionDatabaseId: {
    ...parsed(
      parseNotionId,
      'is neither a Notion id (32 hex characters, dashes allowed) nor a Notion database URL; copy it with "Copy link to view"',
    ),
    required: "is required: the database id or its URL (pulumi config set notionDatabaseId <id or URL>)",
    env: { name: "NOTION_DATABASE_ID", task: "always", notion: "always", slack: "botMode" },
    description:
      'Notion database "백업 로그" — its id (32 hex, dashes allowed) or its URL from "Copy link to view"',
  },
} as const satisfies Specs;

const chatbot = {
  slackTeamId: {
    ...refusing(
      text(
        /^[TE][A-Z0-9]{2,}$/,
        "must be a Slack workspace id like T0123ABCD (Chatbot console → workspace details)",
      ),
      PLACEHOLDERS.slackTeamId,
      "is the documentation's example, not your workspace: copy your workspace id from the AWS Chatbot console (Slack workspace details), or unset slackTeamId and slackChannelId to skip Chatbot",
    ),
    description: "AWS Chatbot Slack workspace id (T…); set with slackChannelId, or neither to skip Chatbot",
  },
  slackChannelId: {
    ...refusing(
      text(
        /^[CG][A-Z0-9]{2,}$/,
        "must be a Slack channel id like C0123ABCD (channel details → bottom of the About tab)",
      ),
      PLACEHOLDERS.slackChannelId,
      "is the documentation's example, not your channel: copy your channel id in Slack (channel details → bottom of the About tab), or unset slackTeamId and slackChannelId to skip Chatbot",
    ),
    description: "AWS Chatbot Slack channel id (C…) receiving CloudWatch alarms",
  },
} as const satisfies Specs;
const chatbotTogether = rule(chatbot, (c) =>
  c.isSet("slackTeamId") === c.isSet("slackChannelId")
    ? []
    : [
        [
          c.isSet("slackTeamId") ? "slackChannelId" : "slackTeamId",
          "slackTeamId and slackChannelId go together: set both for AWS Chatbot, or neither to skip it",
        ],
      ],
);

const targets = {
  ebsVolumeIds: {
    ...list(/^vol-[0-9a-f]{8,17}$/, "an EBS volume id (vol-…)"),
    default: [],
    env: { name: "EBS_VOLUME_IDS", task: "always" },
    description: "EBS volumes to snapshot (vol-…)",
  },
  rdsInstanceIds: {
    ...list(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/, "an RDS DB instance identifier"),
    default: [],
    env: { name: "RDS_INSTANCE_IDS", task: "always" },
    description: "RDS DB instances to snapshot",
  },
  s3SourceBuckets: {
    ...list(/^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
    default: [],
    env: { name: "S3_SOURCE_BUCKETS", task: "always" },
    description: "S3 buckets synced into the backup bucket",
  },
  backupTag: {
    ...parsed((raw) => {
      const match = /^([^=]{1,128})=(.{0,256})$/.exec(raw);
      return match?.[1] ? { key: match[1].trim(), value: (match[2] ?? "").trim() } : undefined;
    }, "must be Key=Value, e.g. Backup=true"),
    env: { name: "BACKUP_TAG", task: "configured" },
    what: "Key=Value",
    example: "Backup=true",
    description: "Also back up resources carrying this tag, Key=Value (e.g. Backup=true)",
  },
} as const satisfies Specs;

/** The keys that name what is backed up: with none set, no backup job is scheduled. */
export const TARGET_KEYS = ["ebsVolumeIds", "rdsInstanceIds", "s3SourceBuckets", "backupTag"] as const;

/** What to do when no target is named; the preview and `drox-backup doctor` say it alike. */
export function noTargetsFix(): string {
  const variables = TARGET_KEYS.map((key) => targets[key].env.name).join(", ");
  return (
    `name what to back up with ${TARGET_KEYS.join(", ")} ` +
    `(e.g. pulumi config set --path 'ebsVolumeIds[0]' vol-…; the task reads them as ${variables})`
  );
}

/** A schedule's grammar is checked by config.ts (components/schedule-expression.ts) for every `schedule`. */
const schedule = (expression: string, description: string) =>
  ({ ...text(), schedule: true, default: expression, description }) as const;

const schedules = {
  ebsSchedule: schedule(
    "cron(0 2 * * ? *)",
    "EventBridge Scheduler expression of the EBS backup, in displayTimeZone",
  ),
  rdsSchedule: schedule("cron(30 2 * * ? *)", "Schedule of the RDS backup"),
  s3Schedule: schedule("cron(0 3 * * ? *)", "Schedule of the S3 sync"),
  integrityCheckSchedule: schedule("cron(0 6 * * ? *)", "Schedule of the integrity check (보안 점검)"),
  weeklyReportSchedule: schedule("cron(0 9 ? * SUN *)", "Schedule of the weekly report (Sunday)"),
  monthlyReportSchedule: schedule(
    "cron(0 9 1 * ? *)",
    "Schedule of the monthly report (the 1st, for the month just ended)",
  ),
  // Saturday night: the week's backups are done and the drill is in before Sunday's report.
  drillSchedule: schedule(
    "cron(0 23 ? * SAT *)",
    "Schedule of the restore drill (복구 테스트), Saturday 23:00 in displayTimeZone (needs drillEnabled)",
  ),
} as const satisfies Specs;

/** Restore drills (runtime/drills): off unless a stack switches them on; Pulumi.prod.yaml does. */
const drills = {
  drillEnabled: {
    ...flag(),
    default: false,
    env: { name: "DRILL_ENABLED", task: "always" },
    description:
      "Schedule the weekly restore drill on this stack (restores the newest backups into scratch resources and deletes them; cents a week, README); off by default, on in Pulumi.prod.yaml",
  },
  drillS3Sample: {
    ...whole(1, 100_000),
    default: 100,
    env: { name: "DRILL_S3_SAMPLE", task: "always" },
    description:
      "Objects a drill reads back per bucket: this many, or 1 % of the bucket when more, at most 1,000 (or this value when larger)",
  },
  drillDbInstanceClass: {
    ...text(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, "must be a DB instance class like db.t4g.micro"),
    defaultText: "the smallest class RDS offers for the engine",
    env: { name: "DRILL_DB_INSTANCE_CLASS", task: "configured" },
    description:
      "DB instance class of the drill's scratch instance; unset takes the smallest the engine allows",
  },
  drillDeadlineMinutes: {
    ...whole(5, 720),
    default: 120,
    env: { name: "DRILL_DEADLINE_MINUTES", task: "always" },
    description:
      "Minutes one kind of drill may take before it stops and deletes its scratch resources; leftovers past it are swept by the next drill",
  },
} as const satisfies Specs;

const messages = {
  displayTimeZone: {
    ...parsed(
      (raw) => (isValidTimeZone(raw) ? raw : undefined),
      (raw) => `"${raw}" is not an IANA time zone; use e.g. Asia/Seoul or UTC`,
    ),
    default: DEFAULT_TIME_ZONE,
    env: { name: "DISPLAY_TIME_ZONE", task: "always", slack: "always", notion: "always" },
    what: "an IANA time zone",
    example: "Asia/Seoul",
    description: "IANA time zone of messages and schedules",
  },
} as const satisfies Specs;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const retention = {
  retentionDays: {
    ...whole(1, 3650),
    default: 7,
    env: { name: "RETENTION_DAYS", task: "always" },
    description: "Days backups are kept (snapshots, replaced S3 object versions)",
  },
  drRegion: {
    ...parsed(
      (raw) => (REGION.test(raw) ? raw : undefined),
      (raw) => `"${raw}" is not an AWS region name like ap-northeast-1`,
    ),
    env: { name: "DR_REGION", task: "configured" },
    what: "an AWS region",
    example: "ap-northeast-1",
    description: "Region receiving cross-region copies; unset disables them",
  },
  drRetentionDays: {
    ...whole(1, 3650),
    defaultText: "retentionDays",
    env: { name: "DR_RETENTION_DAYS", task: "configured" },
    description: "Days cross-region copies are kept (needs drRegion); defaults to retentionDays",
  },
  // Checked against drRegion by the rule below (an ARN must be of the DR region).
  drKmsKeyId: {
    ...text(),
    defaultText: "the AWS-managed EBS/RDS key",
    env: { name: "DR_KMS_KEY_ID", task: "configured" },
    description:
      "KMS key of drRegion encrypting the copies (key id, key ARN, alias/… or alias ARN); unset uses the AWS-managed EBS/RDS key (needs drRegion)",
  },
} as const satisfies Specs;
const drNeedsRegion = rule(retention, (c): Problem[] => {
  const problems: Problem[] = [];
  if (c.isValid("drRetentionDays") && !c.isSet("drRegion")) {
    problems.push([
      "drRetentionDays",
      "needs drRegion: cross-region copies are kept only when a DR region is set",
    ]);
  }
  const key = c.raw("drKmsKeyId");
  if (key !== undefined && !c.isSet("drRegion")) {
    problems.push(["drKmsKeyId", "needs drRegion: the key encrypts cross-region copies in the DR region"]);
  } else if (key !== undefined) {
    const problem = drKmsKeyProblem(key, c.raw("drRegion"));
    if (problem) problems.push(["drKmsKeyId", problem]);
  }
  return problems;
});

const objectLock = {
  objectLockMode: {
    ...oneOf(["GOVERNANCE", "COMPLIANCE"], "must be GOVERNANCE or COMPLIANCE"),
    description:
      "S3 Object Lock mode of the backup bucket, GOVERNANCE or COMPLIANCE (with objectLockDays); set before the first up",
  },
  objectLockDays: { ...whole(1, 36500), description: "S3 Object Lock default retention in days" },
} as const satisfies Specs;
const objectLockTogether = rule(objectLock, (c): Problem[] => {
  const message = "objectLockMode and objectLockDays go together: set both to enable S3 Object Lock";
  if (c.isValid("objectLockMode") && !c.isSet("objectLockDays")) return [["objectLockDays", message]];
  if (!c.isSet("objectLockMode") && c.isSet("objectLockDays")) return [["objectLockMode", message]];
  return [];
});

/** ECS stops a container at most 120 s after SIGTERM; 10 s of that are kept for closing and logs. */
export const MAX_SHUTDOWN_GRACE_SECONDS = 110;

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

const service = {
  certificateArn: {
    ...refusing(
      text(
        CERTIFICATE_ARN,
        "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
      ),
      PLACEHOLDERS.certificateId.map((id) => `:certificate/${id}`),
      "is an example ARN, not a certificate of yours: set the ARN of your ACM certificate in this stack's region (ACM console → the certificate → ARN), or unset it and opt in to plain HTTP with pulumi config set allowHttp true",
    ),
    description: "ACM certificate ARN for the HTTPS listener",
  },
  allowHttp: {
    ...flag(),
    default: false,
    description: "Serve plain HTTP without a certificate (explicit opt-in)",
  },
  useDefaultVpc: {
    ...flag(),
    default: false,
    description: "Run in the account's default VPC instead of a new VPC",
  },
  assignPublicIp: {
    ...flag(),
    // The default VPC has only public subnets: tasks need a public IP to reach ECR and AWS APIs.
    defaultText: "useDefaultVpc",
    description: "Give tasks public IPs (public subnets, no NAT gateway); defaults to useDefaultVpc",
  },
  logRetentionDays: {
    ...whole(1, 3653),
    schema: whole(1, 3653).schema.refine((days) => LOG_RETENTION_DAYS.includes(days), {
      error: `must be one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    }),
    default: 30,
    description: "CloudWatch Logs retention of every log group",
  },
  serviceDesiredCount: { ...whole(0, 10), default: 1, description: "Running HTTP service tasks" },
  taskCpu: {
    ...whole(256, 16384),
    schema: whole(256, 16384).schema.refine((cpu) => FARGATE_CPU.includes(cpu), {
      error: "must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384",
    }),
    default: 512,
    description: "Fargate task CPU units",
  },
  taskMemory: {
    ...whole(512, 122880),
    default: 1024,
    description: "Fargate task memory (MiB), one Fargate allows with taskCpu (512 CPU: 1024 to 4096)",
  },
  // Lambda refuses a reservation that leaves fewer than 100 unreserved executions in the account
  // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): two functions
  // reserving N need a quota of 100 + 2N, and new accounts often start at 10. So it is opt-in.
  lambdaReservedConcurrency: {
    ...whole(1, 1000),
    description:
      "Reserved concurrency of each notification Lambda; unset uses the account pool. Set it only if the account's Lambda concurrency quota is at least 100 + 2 × this value (AWS keeps 100 unreserved)",
  },
} as const satisfies Specs;
const fargateSize = rule(service, (c): Problem[] => {
  // A key set to an unusable value has its own problem already; its default would only confuse.
  if ((c.isSet("taskCpu") && !c.isValid("taskCpu")) || (c.isSet("taskMemory") && !c.isValid("taskMemory"))) {
    return [];
  }
  const cpu = c.value("taskCpu") ?? 0;
  const memory = c.value("taskMemory") ?? 0;
  const allowed = FARGATE_MEMORY[cpu] ?? [];
  if (allowed.includes(memory)) return [];
  return [
    [
      "taskMemory",
      `${memory} MiB does not fit taskCpu ${cpu}: Fargate runs ${cpu} CPU units with ${describeMemory(allowed)} MiB ` +
        `(pulumi config set taskMemory ${allowed[0] ?? ""}, or change taskCpu)`,
    ],
  ];
});

const httpsOrHttp = rule(service, (c): Problem[] => {
  const allowHttp = c.value("allowHttp") ?? false;
  if (c.isSet("certificateArn") && allowHttp) {
    return [
      [
        "allowHttp",
        "contradicts certificateArn: with a certificate the service is HTTPS only; unset allowHttp",
      ],
    ];
  }
  if (!c.isSet("certificateArn") && !allowHttp) {
    return [
      [
        "certificateArn",
        "is required for HTTPS; or opt in to plain HTTP explicitly with pulumi config set allowHttp true",
      ],
    ];
  }
  return [];
});

const tuning = {
  successRateOk: {
    ...fraction(),
    default: 0.95,
    env: { name: "SUCCESS_RATE_OK", task: "always", slack: "always", notion: "always" },
    description: "Weekly report ✅ threshold (0-1), success rate at or above it; same in Slack and Notion",
  },
  successRateWarn: {
    ...fraction(),
    default: 0.8,
    env: { name: "SUCCESS_RATE_WARN", task: "always", slack: "always", notion: "always" },
    description: "Weekly report ⚠️ threshold (0-1), at most successRateOk; below it ❌",
  },
} as const satisfies Specs;
const warnAtMostOk = rule(tuning, (c) =>
  (c.value("successRateOk") ?? 0) < (c.value("successRateWarn") ?? 0)
    ? [["successRateWarn", "must not exceed successRateOk (✅ at or above OK, ⚠️ at or above WARN)"]]
    : [],
);

const runtime = {
  s3SyncConcurrency: {
    ...whole(1, 256),
    defaultText: "runtime default 16",
    env: { name: "S3_SYNC_CONCURRENCY", task: "configured", runtime: { max: 512, default: 16 } },
    description: "Parallel S3 copies per sync, runtime default 16",
  },
  s3BatchThreshold: {
    ...whole(1, 1_000_000_000),
    defaultText: "runtime default 100000",
    env: { name: "S3_BATCH_THRESHOLD", task: "configured", runtime: { default: 100_000 } },
    description:
      "Objects to copy in one S3 run beyond which an S3 Batch Operations job copies the rest, runtime default 100000",
  },
  jobTimeoutSeconds: {
    ...whole(60, 86400),
    defaultText: "runtime default 1800",
    env: { name: "JOB_TIMEOUT_SECONDS", task: "configured", runtime: { min: 1, default: 1800 } },
    description: "Upper bound of one job's waits, runtime default 1800",
  },
  historyRetentionDays: {
    ...whole(1, 3650),
    default: 400,
    env: { name: "HISTORY_RETENTION_DAYS", task: "always" },
    description: "Days a job record stays in the history table (DynamoDB TTL)",
  },
  shutdownGraceSeconds: {
    ...whole(1, MAX_SHUTDOWN_GRACE_SECONDS),
    default: 20,
    env: {
      name: "SHUTDOWN_GRACE_SECONDS",
      task: "always",
      setBy: "components/service.ts (it also sets the container's stop timeout from it)",
      runtime: { min: 0, max: 3600 },
    },
    description:
      "Seconds the HTTP service waits for background runs on shutdown (1-110); the container's stop timeout and the ALB's deregistration delay are this plus 10",
  },
  rateLimitMax: {
    ...whole(1, 1_000_000),
    defaultText: "runtime default 300",
    env: { name: "RATE_LIMIT_MAX", task: "configured", runtime: { min: 0, default: 300 } },
    description: "HTTP API requests per client per minute, runtime default 300",
  },
  logLevel: {
    ...oneOf(
      ["fatal", "error", "warn", "info", "debug", "trace"],
      "must be one of fatal, error, warn, info, debug, trace",
    ),
    defaultText: "info",
    env: { name: "LOG_LEVEL", task: "configured", slack: "configured", notion: "configured" },
    description: "Runtime log level (fatal, error, warn, info, debug, trace)",
  },
} as const satisfies Specs;

const tags = {
  owner: { ...text(), default: "devops", description: "Owner tag of every resource" },
  environment: {
    ...text(),
    defaultText: "the stack name",
    description: "Environment tag of every resource; defaults to the stack name",
  },
} as const satisfies Specs;

/** Every setting, in the order Pulumi.yaml and docs/configuration.md list them. */
export const SETTINGS = {
  ...secrets,
  ...bot,
  ...notion,
  ...chatbot,
  ...targets,
  ...schedules,
  ...drills,
  ...messages,
  ...retention,
  ...objectLock,
  ...service,
  ...tuning,
  ...runtime,
  ...tags,
} as const satisfies Specs;

/** The rules joining keys, each declared after its keys above. */
export const RULES: readonly Rule[] = [
  botNeedsChannel,
  chatbotTogether,
  drNeedsRegion,
  objectLockTogether,
  httpsOrHttp,
  fargateSize,
  warnAtMostOk,
];

export type SettingKey = keyof typeof SETTINGS;
export type Setting<K extends SettingKey> = (typeof SETTINGS)[K];
/** A key's value once read: its default applied when it has one. */
export type Value<K extends SettingKey> =
  Setting<K> extends { readonly default: unknown }
    ? z.output<Setting<K>["schema"]>
    : z.output<Setting<K>["schema"]> | undefined;
export type Values = { readonly [K in SettingKey]: Value<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSecret(key: SettingKey): boolean {
  return "secret" in SETTINGS[key];
}
