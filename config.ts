/**
 * The stack's configuration, read once and validated once. Components never read Pulumi config:
 * they get the typed values from here. Each key is read through its declaration
 * (runtime/settings/declaration.ts: type, range, default, rules joining keys), which the runtime's
 * environment, Pulumi.yaml and the README share. Every problem names the key and the fix, and all
 * problems are reported together so one `pulumi preview` shows everything to correct.
 *
 * `parseSettings` is pure (a key → string lookup in, typed settings out) so the rules are tested
 * without Pulumi. Secret values are validated inside `apply`, where they stay secret, and their
 * error messages never contain the value.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./runtime/contract/errors";
import { MIN_TOKEN_LENGTH } from "./runtime/server/auth";
import { webhookUrlProblem } from "./runtime/slack/webhook-url";
import {
  BOT_CHANNEL_KEYS,
  LOG_RETENTION_DAYS,
  MAX_SHUTDOWN_GRACE_SECONDS,
  RULES,
  SETTING_KEYS as DECLARED_KEYS,
  SETTINGS,
  isSecret,
  noTargetsFix,
  type RuleContext,
  type SettingKey as DeclaredKey,
  type SettingSpec,
  type Value,
} from "./runtime/settings/declaration";
import { KEY } from "./runtime/settings/kinds";
import { scheduleExpressionProblem } from "./components/schedule-expression";

/** Non-secret keys, as declared in runtime/settings/declaration.ts. */
export const SETTING_KEYS = DECLARED_KEYS.filter((key) => !isSecret(key)) as SettingKey[];
export type SettingKey = Exclude<DeclaredKey, SecretKey>;

/** Secret keys: each becomes a Secrets Manager secret; only its ARN reaches the runtime. */
export const SECRET_KEYS = DECLARED_KEYS.filter(isSecret) as SecretKey[];
export type SecretKey = {
  [K in DeclaredKey]: (typeof SETTINGS)[K] extends { readonly secret: true } ? K : never;
}[DeclaredKey];
export const OPTIONAL_SECRET_KEYS: readonly SecretKey[] = SECRET_KEYS.filter(
  (key) => !("required" in SETTINGS[key]),
);

export const DEFAULT_SCHEDULES = {
  ebs: SETTINGS.ebsSchedule.default,
  rds: SETTINGS.rdsSchedule.default,
  s3: SETTINGS.s3Schedule.default,
  integrityCheck: SETTINGS.integrityCheckSchedule.default,
  weeklyReport: SETTINGS.weeklyReportSchedule.default,
  drill: SETTINGS.drillSchedule.default,
  monthlyReport: SETTINGS.monthlyReportSchedule.default,
} as const;

export { LOG_RETENTION_DAYS, MAX_SHUTDOWN_GRACE_SECONDS };

export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";
export type BackupKind = "ebs" | "rds" | "s3";

export interface BackupTag {
  readonly key: string;
  readonly value: string;
}

export interface Settings {
  readonly stack: string;
  /** Every declared non-secret key's value, defaults applied: what the runtime environment is built from. */
  readonly values: StackValues;
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
  /** The weekly restore drill is scheduled (drillSchedule). */
  readonly drillEnabled: boolean;
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
  readonly jobs: { readonly s3SyncConcurrency?: number; readonly jobTimeoutSeconds?: number };
  readonly logLevel?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type StackValues = { readonly [K in SettingKey]: Value<K> };

export type Lookup = (key: SettingKey) => string | undefined;
/** Whether a secret key has a value: a rule may need to know, never what the value is. */
export type SecretLookup = (key: SecretKey) => boolean;

function trimmed(get: Lookup, key: SettingKey): string | undefined {
  const value = get(key)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Reads every non-secret key through its declaration, then the rules that join keys. Returns the
 * values (defaults applied) or throws one ConfigError listing each problem with its fix.
 */
function readStack(get: Lookup, stack: string, secretIsSet: SecretLookup): StackValues {
  const problems: string[] = [];
  const add = (key: string, message: string) => problems.push(`${key}: ${message.replaceAll(KEY, key)}`);
  const raw = new Map<SettingKey, string>();
  const parsed = new Map<SettingKey, unknown>();
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    const text = trimmed(get, key);
    if (text === undefined) {
      if (spec.required) add(key, spec.required);
      continue;
    }
    raw.set(key, text);
    const result = spec.schema.safeParse(text);
    if (!result.success) {
      add(key, result.error.issues[0]?.message ?? "is not valid");
      continue;
    }
    parsed.set(key, result.data);
  }
  const valueOf = (key: SettingKey): unknown => {
    if (parsed.has(key)) return parsed.get(key);
    const spec: SettingSpec = SETTINGS[key];
    return spec.default;
  };
  // A schedule's default is checked too: one rule for every expression that reaches AWS.
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    const expression = valueOf(key);
    if (!spec.schedule || typeof expression !== "string") continue;
    const problem = scheduleExpressionProblem(expression);
    if (problem) add(key, `"${expression}" does not parse: ${problem}; e.g. ${String(spec.default)}`);
  }
  const context: RuleContext<typeof SETTINGS> = {
    value: (key) => valueOf(key as SettingKey) as never,
    isSet: (key) =>
      isSecret(key as DeclaredKey) ? secretIsSet(key as SecretKey) : raw.has(key as SettingKey),
    isValid: (key) => parsed.has(key as SettingKey),
    raw: (key) => raw.get(key as SettingKey),
  };
  for (const rule of RULES) for (const [key, message] of rule.check(context)) add(key, message);

  if (problems.length > 0) {
    throw new ConfigError(
      `drox-backup configuration for stack "${stack}" has ${problems.length} problem(s):\n- ${problems.join("\n- ")}`,
    );
  }
  const values = Object.fromEntries(SETTING_KEYS.map((key) => [key, valueOf(key)]));
  // Defaults that depend on other keys or on the stack.
  values.assignPublicIp ??= values.useDefaultVpc;
  values.environment ??= stack;
  return values as StackValues;
}

/** Validates every non-secret key; throws one ConfigError listing each problem with its fix. */
export function parseSettings(get: Lookup, stack: string, secretIsSet: SecretLookup = () => false): Settings {
  const v = readStack(get, stack, secretIsSet);
  return {
    stack,
    values: v,
    notionDatabaseId: v.notionDatabaseId ?? "",
    ...(v.slackTeamId && v.slackChannelId
      ? { chatbot: { slackTeamId: v.slackTeamId, slackChannelId: v.slackChannelId } }
      : {}),
    targets: {
      ebsVolumeIds: v.ebsVolumeIds,
      rdsInstanceIds: v.rdsInstanceIds,
      s3SourceBuckets: v.s3SourceBuckets,
      ...(v.backupTag ? { backupTag: v.backupTag } : {}),
    },
    schedules: {
      ebs: v.ebsSchedule,
      rds: v.rdsSchedule,
      s3: v.s3Schedule,
      integrityCheck: v.integrityCheckSchedule,
      weeklyReport: v.weeklyReportSchedule,
      drill: v.drillSchedule,
      monthlyReport: v.monthlyReportSchedule,
    },
    drillEnabled: v.drillEnabled,
    displayTimeZone: v.displayTimeZone,
    retentionDays: v.retentionDays,
    ...(v.drRegion
      ? {
          dr: {
            region: v.drRegion,
            ...(v.drRetentionDays ? { retentionDays: v.drRetentionDays } : {}),
            ...(v.drKmsKeyId ? { kmsKeyId: v.drKmsKeyId } : {}),
          },
        }
      : {}),
    ...(v.objectLockMode && v.objectLockDays !== undefined
      ? { objectLock: { mode: v.objectLockMode, days: v.objectLockDays } }
      : {}),
    ...(v.certificateArn ? { certificateArn: v.certificateArn } : {}),
    allowHttp: v.allowHttp,
    useDefaultVpc: v.useDefaultVpc,
    assignPublicIp: v.assignPublicIp ?? v.useDefaultVpc,
    logRetentionDays: v.logRetentionDays,
    service: {
      desiredCount: v.serviceDesiredCount,
      cpu: v.taskCpu,
      memory: v.taskMemory,
      shutdownGraceSeconds: v.shutdownGraceSeconds,
      ...(v.rateLimitMax !== undefined ? { rateLimitMax: v.rateLimitMax } : {}),
    },
    ...(v.lambdaReservedConcurrency ? { lambdaReservedConcurrency: v.lambdaReservedConcurrency } : {}),
    thresholds: { ok: v.successRateOk, warn: v.successRateWarn },
    historyRetentionDays: v.historyRetentionDays,
    jobs: {
      ...(v.s3SyncConcurrency !== undefined ? { s3SyncConcurrency: v.s3SyncConcurrency } : {}),
      ...(v.jobTimeoutSeconds !== undefined ? { jobTimeoutSeconds: v.jobTimeoutSeconds } : {}),
    },
    ...(v.logLevel !== undefined ? { logLevel: v.logLevel } : {}),
    tags: { project: "drox-backup", owner: v.owner, environment: v.environment ?? stack },
  };
}

/**
 * What the preview should warn about in a valid configuration: a stack that names no backup target
 * deploys and runs only the integrity check and the weekly report; channels set without a bot token
 * are unused (the messages go to the webhooks), which is almost always a forgotten token.
 */
export function settingsWarnings(settings: Settings, secretIsSet: SecretLookup = () => false): string[] {
  const warnings: string[] = [];
  const t = settings.targets;
  const none = t.ebsVolumeIds.length + t.rdsInstanceIds.length + t.s3SourceBuckets.length === 0;
  if (none && t.backupTag === undefined) {
    warnings.push(`No backup targets, so no backup is scheduled: ${noTargetsFix()}.`);
  }
  const channels = BOT_CHANNEL_KEYS.filter((key) => settings.values[key] !== undefined);
  if (channels.length > 0 && !secretIsSet("slackBotToken")) {
    warnings.push(
      `${channels.join(", ")} ${channels.length === 1 ? "is" : "are"} set but slackBotToken is not, so ` +
        "messages go to the webhooks and the channels are unused: set the bot token " +
        "(pulumi config set --secret slackBotToken xoxb-…) or remove the channels " +
        `(${channels.map((key) => `pulumi config rm ${key}`).join("; ")}).`,
    );
  }
  return warnings;
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
  // The declaration's own check (e.g. slackBotToken's xoxb- prefix); its message names no value.
  const declared = SETTINGS[key].schema.safeParse(value.trim());
  if (!declared.success) {
    const issue = declared.error.issues[0]?.message ?? "is not valid";
    return `${key} ${issue.replaceAll(KEY, key)} (pulumi config set --secret ${key} <value>)`;
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
  const secretIsSet: SecretLookup = (key) => config.getSecret(key) !== undefined;
  const settings = parseSettings((key) => config.get(key), pulumi.getStack(), secretIsSet);
  for (const warning of settingsWarnings(settings, secretIsSet)) void pulumi.log.warn(warning);
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
