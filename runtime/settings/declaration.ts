/**
 * Every setting of drox-backup, declared once: its stack key, type and range, default, whether it
 * is secret, the environment variable that carries it to the ECS task and/or the Lambdas, and the
 * line a user reads. config.ts reads the stack through this table, the runtime reads its
 * environment through it (runtime/settings/read.ts), components/runtime-env.ts wires the variables
 * from it, and `npm run gen:config` writes Pulumi.yaml's `config:` block and the README tables
 * from it. Adding a setting is one entry here plus `npm run gen:config`.
 *
 * Rules that join keys sit right after the keys they join. Pure data and zod: no @pulumi imports
 * (runtime/ loads it), no heavy imports (the Lambdas load it).
 */
import { z } from "zod";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "../contract/time";
import { parseNotionId } from "../notion/ids";
import { flag, fraction, list, oneOf, parsed, refusing, text, whole } from "./kinds";

/** How a consumer gets a variable. */
export type Provision =
  /** A plain environment variable, in every stack. */
  | "always"
  /** A plain environment variable, when its config key is set. */
  | "configured"
  /** ECS `secrets` (Secrets Manager ARN resolved at task start), in every stack. */
  | "secret"
  /** ECS `secrets`, when its optional secret config key is set. */
  | "optionalSecret";

export type Consumer = "task" | "slack" | "notion";

export interface EnvVar {
  readonly name: string;
  /** The ECS container (service and scheduled jobs). */
  readonly task?: Provision;
  /** The Slack notifier Lambda. */
  readonly slack?: Provision;
  /** The Notion logger Lambda. */
  readonly notion?: Provision;
  /** Why no consumer gets it from the infrastructure (set by AWS, or for local runs and tests). */
  readonly unset?: string;
  /** The component that sets it from its own argument (so the program must not pass it). */
  readonly setBy?: string;
  /** The runtime's range and default where they differ from the stack's (local runs, tests). */
  readonly runtime?: { readonly min?: number; readonly max?: number; readonly default?: number };
}

export interface SettingSpec {
  /** Pulumi.yaml's type; `number` is declared as a string (Pulumi config has no decimals). */
  readonly type: "string" | "integer" | "number" | "boolean" | "list";
  /** From the trimmed, non-empty text to the value; `{key}` in messages is the key. */
  readonly schema: z.ZodType;
  readonly range?: { readonly min: number; readonly max: number };
  /** Used when the key is unset or blank. */
  readonly default?: string | number | boolean | readonly string[];
  /** The default in words, when it is derived or the runtime's. */
  readonly defaultText?: string;
  readonly secret?: true;
  /** The message when a required key is unset. */
  readonly required?: string;
  /** The variable carrying the value to the runtime (for a secret: the value in local runs). */
  readonly env?: EnvVar;
  /** For a secret: the variable carrying its Secrets Manager ARN. */
  readonly arnEnv?: EnvVar;
  /** A schedule expression: config.ts also checks EventBridge Scheduler's grammar. */
  readonly schedule?: true;
  /** What a valid value is, for the runtime's messages ("an AWS region"), with an example. */
  readonly what?: string;
  readonly example?: string;
  readonly description: string;
}

type Specs = Record<string, SettingSpec>;

/** A problem: the key it is about and what to do. */
export type Problem = readonly [key: string, message: string];

/** What a rule sees of its keys: the value (default applied; undefined if unset or invalid). */
export interface RuleContext<S extends Specs> {
  value<K extends keyof S & string>(key: K): ValueOf<S[K]> | undefined;
  isSet(key: keyof S & string): boolean;
  /** Set and valid. */
  isValid(key: keyof S & string): boolean;
  raw(key: keyof S & string): string | undefined;
}

export type ValueOf<S extends SettingSpec> = z.output<S["schema"]>;

export interface Rule {
  readonly keys: readonly string[];
  readonly check: (context: RuleContext<Specs>) => readonly Problem[];
}

/** A rule over the keys of `group`, typed by them. */
function rule<S extends Specs>(group: S, check: (context: RuleContext<S>) => readonly Problem[]): Rule {
  return { keys: Object.keys(group), check: check as (context: RuleContext<Specs>) => readonly Problem[] };
}

const LOCAL_SECRET_VALUE =
  "local runs and tests; in AWS the value arrives by its *_SECRET_ARN or ECS secrets";

const secrets = {
  slackWebhookUrl: {
    ...text(),
    secret: true,
    required: "required",
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
    required: "required",
    env: { name: "NOTION_TOKEN", task: "secret", unset: LOCAL_SECRET_VALUE },
    arnEnv: { name: "NOTION_TOKEN_SECRET_ARN", notion: "always" },
    description: "Notion internal integration token (secret_… or ntn_…)",
  },
  apiToken: {
    ...text(),
    secret: true,
    required: "required",
    env: { name: "API_TOKEN", task: "secret" },
    arnEnv: { name: "API_TOKEN_SECRET_ARN", unset: "the container gets API_TOKEN through ECS secrets" },
    description:
      "Bearer token of the HTTP API, at least 16 characters (generate with `openssl rand -hex 32`)",
  },
} as const satisfies Specs;

const notion = {
  notionDatabaseId: {
    ...parsed(
      parseNotionId,
      'is neither a Notion id (32 hex characters, dashes allowed) nor a Notion database URL; copy it with "Copy link to view"',
    ),
    required: "is required: the database id or its URL (pulumi config set notionDatabaseId <id or URL>)",
    env: { name: "NOTION_DATABASE_ID", task: "always", notion: "always" },
    description:
      'Notion database "백업 로그" — its id (32 hex, dashes allowed) or its URL from "Copy link to view"',
  },
} as const satisfies Specs;

/**
 * Example values from this project's docs and earlier stack files. They pass the format checks, so
 * a stack still carrying one would preview clean and then fail half-way through `up` (or, for the
 * Chatbot ids, point at a workspace that is not the user's): they are refused by name.
 */
export const PLACEHOLDERS = {
  slackTeamId: ["T0123ABCD"],
  slackChannelId: ["C0123ABCD"],
  /**
   * Certificate ids: all zeros, and the one of AWS's own ARN examples
   * (arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012 in
   * https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html).
   */
  certificateId: ["00000000-0000-0000-0000-000000000000", "12345678-1234-1234-1234-123456789012"],
} as const;

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
const KMS_KEY_ID = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KMS_ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key\/.+|alias\/.+)$/;

/** Why a DR KMS key reference is unusable, or undefined. An ARN must be in the DR region. */
function drKmsKeyProblem(value: string, drRegion: string | undefined): string | undefined {
  const arn = KMS_ARN.exec(value);
  if (arn) {
    const rest = arn[2] ?? "";
    if (!(KMS_KEY_ID.test(rest.replace(/^key\//, "")) || KMS_ALIAS.test(rest))) {
      return `"${value}" is not a KMS key or alias ARN`;
    }
    if (drRegion !== undefined && arn[1] !== drRegion) {
      return `is in ${arn[1]}, but copies are encrypted in drRegion ${drRegion}: use a key of ${drRegion}`;
    }
    return undefined;
  }
  if (KMS_KEY_ID.test(value) || KMS_ALIAS.test(value)) return undefined;
  return `"${value}" is not a KMS key id, key ARN, alias (alias/…) or alias ARN of the DR region`;
}

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

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/**
 * Fargate's task sizes: the memory (MiB) each CPU value allows, from AWS's table
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html, and the
 * `memory` parameter of RegisterTaskDefinition). ECS refuses any other pair only when `up` registers
 * the task definition, after the rest of the stack has changed.
 */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

const FARGATE_CPU = Object.keys(FARGATE_MEMORY).map(Number);

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
function steps(min: number, max: number, step: number): number[] {
  return Array.from({ length: (max - min) / step + 1 }, (_, i) => min + i * step);
}

function describeMemory(values: readonly number[]): string {
  const [first = 0, second = 0] = values;
  const last = values.at(-1) ?? 0;
  if (values.length <= 4) return `${values.slice(0, -1).join(", ")} or ${last}`;
  return `${first} to ${last} in steps of ${second - first}`;
}

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

/** Every setting, in the order Pulumi.yaml and the README list them. */
export const SETTINGS = {
  ...secrets,
  ...notion,
  ...chatbot,
  ...targets,
  ...schedules,
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

/** A variable the runtime reads that no stack key sets: the infrastructure's, AWS's or local. */
export interface RuntimeVariable extends Omit<EnvVar, "name" | "runtime"> {
  readonly default: string;
  readonly description: string;
}

const SLACK_TUNING = "runtime default sized to the notifier's 30 s timeout (4 tries within a 20 s budget)";
const EMULATOR = "local runs and tests against the AWS emulator";

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
  HISTORY_TABLE: { task: "always", default: "required for jobs", description: "the job history table" },
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
} as const satisfies Record<string, RuntimeVariable>;
