/**
 * The stack's configuration, read once and validated once. Components never read Pulumi config:
 * they get the typed values from here. Every problem names the key and the fix, and all problems
 * are reported together so one `pulumi preview` shows everything to correct.
 *
 * `parseSettings` is pure (a key → string lookup in, typed settings out) so the rules are tested
 * without Pulumi. Secret values are validated inside `apply`, where they stay secret, and their
 * error messages never contain the value.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./runtime/contract/errors";
import { parseNotionId } from "./runtime/notion/ids";
import { MIN_TOKEN_LENGTH } from "./runtime/server/auth";
import { webhookUrlProblem } from "./runtime/slack/webhook-url";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "./runtime/contract/time";
import { scheduleExpressionProblem } from "./components/schedule-expression";

/** Non-secret keys, as declared in Pulumi.yaml. */
export const SETTING_KEYS = [
  "notionDatabaseId",
  "slackTeamId",
  "slackChannelId",
  "ebsVolumeIds",
  "rdsInstanceIds",
  "s3SourceBuckets",
  "backupTag",
  "ebsSchedule",
  "rdsSchedule",
  "s3Schedule",
  "integrityCheckSchedule",
  "weeklyReportSchedule",
  "displayTimeZone",
  "retentionDays",
  "drRegion",
  "drRetentionDays",
  "drKmsKeyId",
  "objectLockMode",
  "objectLockDays",
  "certificateArn",
  "allowHttp",
  "useDefaultVpc",
  "assignPublicIp",
  "logRetentionDays",
  "serviceDesiredCount",
  "taskCpu",
  "taskMemory",
  "lambdaReservedConcurrency",
  "successRateOk",
  "successRateWarn",
  "s3SyncConcurrency",
  "s3BatchThreshold",
  "jobTimeoutSeconds",
  "historyRetentionDays",
  "shutdownGraceSeconds",
  "rateLimitMax",
  "logLevel",
  "owner",
  "environment",
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Secret keys: each becomes a Secrets Manager secret; only its ARN reaches the runtime. */
export const SECRET_KEYS = [
  "slackWebhookUrl",
  "slackAlertsWebhookUrl",
  "slackReportsWebhookUrl",
  "notionToken",
  "apiToken",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
export const OPTIONAL_SECRET_KEYS: readonly SecretKey[] = ["slackAlertsWebhookUrl", "slackReportsWebhookUrl"];

export const DEFAULT_SCHEDULES = {
  ebs: "cron(0 2 * * ? *)",
  rds: "cron(30 2 * * ? *)",
  s3: "cron(0 3 * * ? *)",
  integrityCheck: "cron(0 6 * * ? *)",
  weeklyReport: "cron(0 9 ? * SUN *)",
} as const;

/** ECS stops a container at most 120 s after SIGTERM; 10 s of that are kept for closing and logs. */
export const MAX_SHUTDOWN_GRACE_SECONDS = 110;

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";
export type BackupKind = "ebs" | "rds" | "s3";

export interface BackupTag {
  readonly key: string;
  readonly value: string;
}

export interface Settings {
  readonly stack: string;
  /** 32 lower-case hex characters, whichever form was configured. */
  readonly notionDatabaseId: string;
  /** Both set, or neither (then Chatbot is skipped). */
  readonly chatbot?: { readonly slackTeamId: string; readonly slackChannelId: string };
  readonly targets: {
    readonly ebsVolumeIds: readonly string[];
    readonly rdsInstanceIds: readonly string[];
    readonly s3SourceBuckets: readonly string[];
    readonly backupTag?: BackupTag;
  };
  readonly schedules: { readonly [K in keyof typeof DEFAULT_SCHEDULES]: string };
  readonly displayTimeZone: string;
  readonly retentionDays: number;
  readonly dr?: {
    readonly region: string;
    readonly retentionDays?: number;
    /** KMS key of the DR region for encrypted copies (id, ARN, alias or alias ARN). */
    readonly kmsKeyId?: string;
  };
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly days: number };
  readonly certificateArn?: string;
  readonly allowHttp: boolean;
  readonly useDefaultVpc: boolean;
  readonly assignPublicIp: boolean;
  readonly logRetentionDays: number;
  readonly service: {
    readonly desiredCount: number;
    readonly cpu: number;
    readonly memory: number;
    /** How long the service waits for background runs after SIGTERM (the container's stop timeout is longer). */
    readonly shutdownGraceSeconds: number;
    /** Requests per client per minute; unset keeps the runtime's default (300). */
    readonly rateLimitMax?: number;
  };
  readonly lambdaReservedConcurrency?: number;
  /** Weekly report thresholds (✅ at or above ok, ⚠️ at or above warn), the same in Slack and Notion. */
  readonly thresholds: { readonly ok: number; readonly warn: number };
  /** Days a job record stays in the history table (DynamoDB TTL). */
  readonly historyRetentionDays: number;
  /** Job tuning; unset keeps the runtime's defaults. */
  readonly jobs: {
    readonly s3SyncConcurrency?: number;
    readonly jobTimeoutSeconds?: number;
    /** Objects to copy in one S3 run beyond which S3 Batch Operations copies the rest. */
    readonly s3BatchThreshold?: number;
  };
  readonly logLevel?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type Lookup = (key: SettingKey) => string | undefined;

class Problems {
  readonly list: string[] = [];
  add(key: string, message: string): void {
    this.list.push(`${key}: ${message}`);
  }
}

function trimmed(get: Lookup, key: SettingKey): string | undefined {
  const value = get(key)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function integer(
  get: Lookup,
  key: SettingKey,
  problems: Problems,
  bounds: { min: number; max: number },
): number | undefined {
  const raw = trimmed(get, key);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    problems.add(
      key,
      `must be a whole number from ${bounds.min} to ${bounds.max} (pulumi config set ${key} <n>)`,
    );
    return undefined;
  }
  return value;
}

function fraction(get: Lookup, key: SettingKey, problems: Problems): number | undefined {
  const raw = trimmed(get, key);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    problems.add(key, `must be a number from 0 to 1, e.g. 0.95 (pulumi config set ${key} 0.95)`);
    return undefined;
  }
  return value;
}

function bool(get: Lookup, key: SettingKey, problems: Problems): boolean | undefined {
  const raw = trimmed(get, key);
  if (raw === undefined) return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  problems.add(key, `must be true or false (pulumi config set ${key} true)`);
  return undefined;
}

/** A YAML list (Pulumi stores it as JSON) or a comma-separated string. */
function list(get: Lookup, key: SettingKey, problems: Problems, pattern: RegExp, what: string): string[] {
  const raw = trimmed(get, key);
  if (raw === undefined) return [];
  let items: unknown;
  if (raw.startsWith("[")) {
    try {
      items = JSON.parse(raw);
    } catch {
      problems.add(key, "is not a valid list; use a YAML list or comma-separated values");
      return [];
    }
  } else {
    items = raw.split(",");
  }
  if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
    problems.add(key, "must be a list of strings");
    return [];
  }
  const values = items.map((item: string) => item.trim()).filter((item) => item !== "");
  const bad = values.filter((value) => !pattern.test(value));
  if (bad.length > 0)
    problems.add(key, `${bad.map((b) => `"${b}"`).join(", ")} ${bad.length > 1 ? "are" : "is"} not ${what}`);
  return [...new Set(values)];
}

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
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** Validates every non-secret key; throws one ConfigError listing each problem with its fix. */
export function parseSettings(get: Lookup, stack: string): Settings {
  const problems = new Problems();

  const notionRaw = trimmed(get, "notionDatabaseId");
  const notionDatabaseId = notionRaw === undefined ? undefined : parseNotionId(notionRaw);
  if (notionRaw === undefined) {
    problems.add(
      "notionDatabaseId",
      "is required: the database id or its URL (pulumi config set notionDatabaseId <id or URL>)",
    );
  } else if (notionDatabaseId === undefined) {
    problems.add(
      "notionDatabaseId",
      'is neither a Notion id (32 hex characters, dashes allowed) nor a Notion database URL; copy it with "Copy link to view"',
    );
  }

  const slackTeamId = trimmed(get, "slackTeamId");
  const slackChannelId = trimmed(get, "slackChannelId");
  if ((slackTeamId === undefined) !== (slackChannelId === undefined)) {
    problems.add(
      slackTeamId === undefined ? "slackTeamId" : "slackChannelId",
      "slackTeamId and slackChannelId go together: set both for AWS Chatbot, or neither to skip it",
    );
  }
  if (slackTeamId !== undefined && !/^[TE][A-Z0-9]{2,}$/.test(slackTeamId)) {
    problems.add(
      "slackTeamId",
      "must be a Slack workspace id like T0123ABCD (Chatbot console → workspace details)",
    );
  }
  if (slackChannelId !== undefined && !/^[CG][A-Z0-9]{2,}$/.test(slackChannelId)) {
    problems.add(
      "slackChannelId",
      "must be a Slack channel id like C0123ABCD (channel details → bottom of the About tab)",
    );
  }

  const ebsVolumeIds = list(
    get,
    "ebsVolumeIds",
    problems,
    /^vol-[0-9a-f]{8,17}$/,
    "an EBS volume id (vol-…)",
  );
  const rdsInstanceIds = list(
    get,
    "rdsInstanceIds",
    problems,
    /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/,
    "an RDS DB instance identifier",
  );
  const s3SourceBuckets = list(
    get,
    "s3SourceBuckets",
    problems,
    /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "an S3 bucket name",
  );
  let backupTag: BackupTag | undefined;
  const tagRaw = trimmed(get, "backupTag");
  if (tagRaw !== undefined) {
    const match = /^([^=]{1,128})=(.{0,256})$/.exec(tagRaw);
    if (!match?.[1]) problems.add("backupTag", "must be Key=Value, e.g. Backup=true");
    else backupTag = { key: match[1].trim(), value: (match[2] ?? "").trim() };
  }

  const schedules = {} as { -readonly [K in keyof typeof DEFAULT_SCHEDULES]: string };
  const scheduleKeys = {
    ebs: "ebsSchedule",
    rds: "rdsSchedule",
    s3: "s3Schedule",
    integrityCheck: "integrityCheckSchedule",
    weeklyReport: "weeklyReportSchedule",
  } as const satisfies Record<keyof typeof DEFAULT_SCHEDULES, SettingKey>;
  for (const [kind, key] of Object.entries(scheduleKeys) as [keyof typeof DEFAULT_SCHEDULES, SettingKey][]) {
    const expression = trimmed(get, key) ?? DEFAULT_SCHEDULES[kind];
    const problem = scheduleExpressionProblem(expression);
    if (problem) {
      problems.add(key, `"${expression}" does not parse: ${problem}; e.g. ${DEFAULT_SCHEDULES[kind]}`);
    }
    schedules[kind] = expression;
  }

  const displayTimeZone = trimmed(get, "displayTimeZone") ?? DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(displayTimeZone)) {
    problems.add(
      "displayTimeZone",
      `"${displayTimeZone}" is not an IANA time zone; use e.g. Asia/Seoul or UTC`,
    );
  }

  const retentionDays = integer(get, "retentionDays", problems, { min: 1, max: 3650 }) ?? 7;

  const drRegion = trimmed(get, "drRegion");
  const drRetentionDays = integer(get, "drRetentionDays", problems, { min: 1, max: 3650 });
  if (drRegion !== undefined && !REGION.test(drRegion)) {
    problems.add("drRegion", `"${drRegion}" is not an AWS region name like ap-northeast-1`);
  }
  if (drRetentionDays !== undefined && drRegion === undefined) {
    problems.add(
      "drRetentionDays",
      "needs drRegion: cross-region copies are kept only when a DR region is set",
    );
  }
  const drKmsKeyId = trimmed(get, "drKmsKeyId");
  if (drKmsKeyId !== undefined && drRegion === undefined) {
    problems.add("drKmsKeyId", "needs drRegion: the key encrypts cross-region copies in the DR region");
  } else if (drKmsKeyId !== undefined) {
    const problem = drKmsKeyProblem(drKmsKeyId, drRegion);
    if (problem) problems.add("drKmsKeyId", problem);
  }

  const lockModeRaw = trimmed(get, "objectLockMode");
  const lockDays = integer(get, "objectLockDays", problems, { min: 1, max: 36500 });
  const lockDaysSet = trimmed(get, "objectLockDays") !== undefined;
  let objectLock: Settings["objectLock"];
  if (lockModeRaw !== undefined && lockModeRaw !== "GOVERNANCE" && lockModeRaw !== "COMPLIANCE") {
    problems.add("objectLockMode", "must be GOVERNANCE or COMPLIANCE");
  } else if (lockModeRaw !== undefined && !lockDaysSet) {
    problems.add(
      "objectLockDays",
      "objectLockMode and objectLockDays go together: set both to enable S3 Object Lock",
    );
  } else if (lockModeRaw === undefined && lockDaysSet) {
    problems.add(
      "objectLockMode",
      "objectLockMode and objectLockDays go together: set both to enable S3 Object Lock",
    );
  } else if (lockModeRaw !== undefined && lockDays !== undefined) {
    objectLock = { mode: lockModeRaw, days: lockDays };
  }

  const certificateArn = trimmed(get, "certificateArn");
  const allowHttp = bool(get, "allowHttp", problems) ?? false;
  if (certificateArn !== undefined && !CERTIFICATE_ARN.test(certificateArn)) {
    problems.add(
      "certificateArn",
      "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
    );
  }
  if (certificateArn !== undefined && allowHttp) {
    problems.add(
      "allowHttp",
      "contradicts certificateArn: with a certificate the service is HTTPS only; unset allowHttp",
    );
  }
  if (certificateArn === undefined && !allowHttp) {
    problems.add(
      "certificateArn",
      "is required for HTTPS; or opt in to plain HTTP explicitly with pulumi config set allowHttp true",
    );
  }

  const useDefaultVpc = bool(get, "useDefaultVpc", problems) ?? false;
  // The default VPC has only public subnets: tasks need a public IP to reach ECR and AWS APIs.
  const assignPublicIp = bool(get, "assignPublicIp", problems) ?? useDefaultVpc;

  const logRetentionDays = integer(get, "logRetentionDays", problems, { min: 1, max: 3653 }) ?? 30;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    problems.add("logRetentionDays", `must be one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`);
  }

  const cpu = integer(get, "taskCpu", problems, { min: 256, max: 16384 }) ?? 512;
  if (![256, 512, 1024, 2048, 4096, 8192, 16384].includes(cpu)) {
    problems.add("taskCpu", "must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384");
  }
  const rateLimitMax = integer(get, "rateLimitMax", problems, { min: 1, max: 1_000_000 });
  const service = {
    desiredCount: integer(get, "serviceDesiredCount", problems, { min: 0, max: 10 }) ?? 1,
    cpu,
    memory: integer(get, "taskMemory", problems, { min: 512, max: 122880 }) ?? 1024,
    // ECS allows a stop timeout of 120 s; the container gets the grace plus a margin to flush logs.
    shutdownGraceSeconds:
      integer(get, "shutdownGraceSeconds", problems, { min: 1, max: MAX_SHUTDOWN_GRACE_SECONDS }) ?? 20,
    ...(rateLimitMax !== undefined ? { rateLimitMax } : {}),
  };
  const lambdaReservedConcurrency = integer(get, "lambdaReservedConcurrency", problems, {
    min: 1,
    max: 1000,
  });

  const ok = fraction(get, "successRateOk", problems) ?? 0.95;
  const warn = fraction(get, "successRateWarn", problems) ?? 0.8;
  if (ok < warn) {
    problems.add("successRateWarn", "must not exceed successRateOk (✅ at or above OK, ⚠️ at or above WARN)");
  }
  const s3SyncConcurrency = integer(get, "s3SyncConcurrency", problems, { min: 1, max: 256 });
  const jobTimeoutSeconds = integer(get, "jobTimeoutSeconds", problems, { min: 60, max: 86400 });
  const s3BatchThreshold = integer(get, "s3BatchThreshold", problems, { min: 1, max: 1_000_000_000 });
  const historyRetentionDays = integer(get, "historyRetentionDays", problems, { min: 1, max: 3650 }) ?? 400;
  const logLevel = trimmed(get, "logLevel");
  if (logLevel !== undefined && !["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) {
    problems.add("logLevel", "must be one of fatal, error, warn, info, debug, trace");
  }

  const owner = trimmed(get, "owner") ?? "devops";
  const environment = trimmed(get, "environment") ?? stack;

  if (problems.list.length > 0) {
    throw new ConfigError(
      `drox-backup configuration for stack "${stack}" has ${problems.list.length} problem(s):\n- ${problems.list.join("\n- ")}`,
    );
  }

  return {
    stack,
    notionDatabaseId: notionDatabaseId ?? "",
    ...(slackTeamId && slackChannelId ? { chatbot: { slackTeamId, slackChannelId } } : {}),
    targets: { ebsVolumeIds, rdsInstanceIds, s3SourceBuckets, ...(backupTag ? { backupTag } : {}) },
    schedules,
    displayTimeZone,
    retentionDays,
    ...(drRegion
      ? {
          dr: {
            region: drRegion,
            ...(drRetentionDays ? { retentionDays: drRetentionDays } : {}),
            ...(drKmsKeyId ? { kmsKeyId: drKmsKeyId } : {}),
          },
        }
      : {}),
    ...(objectLock ? { objectLock } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    allowHttp,
    useDefaultVpc,
    assignPublicIp,
    logRetentionDays,
    service,
    ...(lambdaReservedConcurrency ? { lambdaReservedConcurrency } : {}),
    thresholds: { ok, warn },
    historyRetentionDays,
    jobs: {
      ...(s3SyncConcurrency !== undefined ? { s3SyncConcurrency } : {}),
      ...(jobTimeoutSeconds !== undefined ? { jobTimeoutSeconds } : {}),
      ...(s3BatchThreshold !== undefined ? { s3BatchThreshold } : {}),
    },
    ...(logLevel !== undefined ? { logLevel } : {}),
    tags: { project: "drox-backup", owner, environment },
  };
}

/**
 * Why a secret value is unusable, or undefined. Messages never contain the value. Webhooks must be
 * Slack Incoming Webhook URLs (no loopback here: a deployed stack must reach real Slack).
 */
export function secretProblem(key: SecretKey, value: string): string | undefined {
  if (value.trim() === "") return `${key} is empty (pulumi config set --secret ${key} <value>)`;
  // The service refuses a shorter token at startup (runtime/server/auth.ts), so a deployed task
  // would crash-loop; stop the preview instead. The value is trimmed before use, so is its length.
  if (key === "apiToken" && value.trim().length < MIN_TOKEN_LENGTH) {
    return (
      `apiToken must be at least ${MIN_TOKEN_LENGTH} characters (the service refuses shorter tokens at startup); ` +
      'set one with pulumi config set --secret apiToken "$(openssl rand -hex 32)"'
    );
  }
  if (key === "slackWebhookUrl" || key === "slackAlertsWebhookUrl" || key === "slackReportsWebhookUrl") {
    const problem = webhookUrlProblem(value);
    if (problem) {
      return (
        `${key} ${problem}: it must be a Slack Incoming Webhook URL (https://hooks.slack.com/services/T…/B…/…); ` +
        `set it with pulumi config set --secret ${key} <url>`
      );
    }
  }
  return undefined;
}

export type Secrets = { readonly [K in SecretKey]?: pulumi.Output<string> } & {
  readonly slackWebhookUrl: pulumi.Output<string>;
  readonly notionToken: pulumi.Output<string>;
  readonly apiToken: pulumi.Output<string>;
};

export interface DroxConfig {
  readonly settings: Settings;
  readonly secrets: Secrets;
}

function validatedSecret(output: pulumi.Output<string>, key: SecretKey): pulumi.Output<string> {
  // The check runs inside apply so the value never leaves the secret Output; a failure rejects the
  // Output and stops the preview with a message that does not include the value.
  return output.apply((value) => {
    const problem = secretProblem(key, value);
    if (problem) throw new ConfigError(problem);
    return value.trim();
  });
}

/** Reads and validates the whole configuration of the current stack. Call once, from index.ts. */
export function loadConfig(config: pulumi.Config = new pulumi.Config()): DroxConfig {
  const settings = parseSettings((key) => config.get(key), pulumi.getStack());
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const key of SECRET_KEYS) {
    if (OPTIONAL_SECRET_KEYS.includes(key)) {
      const value = config.getSecret(key);
      if (value !== undefined) secrets[key] = validatedSecret(pulumi.secret(value), key);
    } else {
      secrets[key] = validatedSecret(config.requireSecret(key), key);
    }
  }
  return { settings, secrets: secrets as Secrets };
}
