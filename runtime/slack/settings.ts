/**
 * Slack settings from the environment: the three webhooks (value or Secrets Manager ARN), the
 * display time zone, the report thresholds and the delivery budget. Every problem is a ConfigError
 * naming the variable; webhook values are secrets and never appear in a message.
 */
import { readInt, readNumber } from "../settings/env";
import { ConfigError } from "../contract/errors";
import { SETTINGS } from "../settings/declaration";
import { envName, readSetting, secretSpec } from "../settings/read";
import { readOptionalSecret, readSecret, SECRETS, type SecretSpec } from "../settings/secrets";
import { readThresholds, type Thresholds } from "../settings/success-rate";
import { validateWebhookUrl } from "./webhook-url";

export { DEFAULT_THRESHOLDS, readThresholds, type Thresholds } from "../settings/success-rate";

export interface Webhooks {
  readonly main: string;
  readonly alerts?: string;
  readonly reports?: string;
}

export interface RetrySettings {
  /** Requests per message, the first included. */
  readonly maxAttempts: number;
  /** Wall-clock budget for one message, from its first request to giving up. */
  readonly budgetMs: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** First backoff step for 5xx and timeouts; doubled per attempt, with full jitter. */
  readonly baseDelayMs: number;
  /** Cap of one backoff step. */
  readonly maxDelayMs: number;
}

// Sized for a Lambda with a 30 s+ timeout: 4 tries in 20 s, each request at most 5 s.
export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 4,
  budgetMs: 20_000,
  timeoutMs: 5_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export interface SlackSettings {
  readonly webhooks: Webhooks;
  readonly timeZone: string;
  readonly thresholds: Thresholds;
  readonly retry: RetrySettings;
}

export function readTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  return readSetting(env, "displayTimeZone");
}

export function readRetrySettings(env: NodeJS.ProcessEnv = process.env): RetrySettings {
  const attempts = readInt(env, "SLACK_MAX_ATTEMPTS", {
    default: DEFAULT_RETRY.maxAttempts,
    min: 1,
    max: 10,
  });
  const budget = readNumber(env, "SLACK_RETRY_BUDGET_SECONDS", {
    default: DEFAULT_RETRY.budgetMs / 1000,
    min: 0.1,
    max: 900,
  });
  const timeout = readNumber(env, "SLACK_TIMEOUT_SECONDS", {
    default: DEFAULT_RETRY.timeoutMs / 1000,
    min: 0.05,
    max: 60,
  });
  return {
    ...DEFAULT_RETRY,
    maxAttempts: attempts,
    budgetMs: Math.round(budget * 1000),
    timeoutMs: Math.round(timeout * 1000),
  };
}

async function readWebhook(spec: SecretSpec, env: NodeJS.ProcessEnv, required: true): Promise<string>;
async function readWebhook(
  spec: SecretSpec,
  env: NodeJS.ProcessEnv,
  required: false,
): Promise<string | undefined>;
async function readWebhook(
  spec: SecretSpec,
  env: NodeJS.ProcessEnv,
  required: boolean,
): Promise<string | undefined> {
  const value = required ? await readSecret(spec, env) : await readOptionalSecret(spec, env);
  if (value === undefined) return undefined;
  const name = env[spec.valueVar]?.trim() ? spec.valueVar : `the secret in ${spec.arnVar}`;
  validateWebhookUrl(value, { name, allowLoopback: true });
  // readSecret/readOptionalSecret return the value trimmed, from the environment or the secret.
  return value;
}

/** Reads and validates every Slack setting; secrets come from env or Secrets Manager (cached). */
export async function readSlackSettings(env: NodeJS.ProcessEnv = process.env): Promise<SlackSettings> {
  const timeZone = readTimeZone(env);
  const thresholds = readThresholds(env);
  const retry = readRetrySettings(env);
  const [main, alerts, reports] = await Promise.all([
    readWebhook(SECRETS.slackWebhook, env, true),
    readWebhook(SECRETS.slackAlertsWebhook, env, false),
    readWebhook(SECRETS.slackReportsWebhook, env, false),
  ]);
  return { webhooks: { main, alerts, reports }, timeZone, thresholds, retry };
}

/**
 * Bot token mode (issue 11): the token (a secret, like the webhooks: value or Secrets Manager ARN)
 * and the channels, read through their declarations (slackBotToken, slackBackupChannel,
 * slackAlertsChannel, slackReportsChannel in runtime/settings/declaration.ts), which give the
 * variables and the checks: an id such as C0123ABCD, or a name, which Slack resolves when posting;
 * the answer's channel id is what is kept. SLACK_API_URL points the client elsewhere (the fakes).
 */
export const BOT_TOKEN_SECRET: SecretSpec = secretSpec("slackBotToken");

export interface BotChannels {
  readonly main: string;
  readonly alerts?: string;
  readonly reports?: string;
}

export interface BotSettings {
  readonly token: string;
  readonly channels: BotChannels;
  readonly apiUrl?: string;
  readonly timeZone: string;
  readonly thresholds: Thresholds;
  readonly retry: RetrySettings;
}

/** A channel id or name, without a leading `#`. */
function channel(value: string | undefined): string | undefined {
  // Stryker disable next-line Regex: the declaration admits a "#" only as a name's first character, so /#/ finds the same one
  return value?.replace(/^#/, "");
}

/** The bot settings, or undefined when no bot token is configured (webhook mode). */
export async function readBotSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<BotSettings | undefined> {
  const token = await readOptionalSecret(BOT_TOKEN_SECRET, env);
  if (token === undefined) return undefined;
  const checked = SETTINGS.slackBotToken.schema.safeParse(token);
  if (!checked.success) {
    const name = env[BOT_TOKEN_SECRET.valueVar]?.trim()
      ? BOT_TOKEN_SECRET.valueVar
      : `the secret in ${BOT_TOKEN_SECRET.arnVar}`;
    // The declaration's message says what a bot token looks like; the value itself is never echoed.
    // Stryker disable next-line OptionalChaining,StringLiteral: a failed zod parse reports at least one issue, so the fallback is never read
    const problem = checked.error.issues[0]?.message ?? "is not a Slack bot token";
    throw new ConfigError(`${name} ${problem}`);
  }
  const main = channel(readSetting(env, "slackBackupChannel"));
  if (main === undefined) {
    throw new ConfigError(
      `${envName("slackBackupChannel")} must be set with a Slack bot token (e.g. devops-backup)`,
    );
  }
  const apiUrl = env.SLACK_API_URL?.trim() || undefined;
  return {
    token,
    channels: {
      main,
      alerts: channel(readSetting(env, "slackAlertsChannel")),
      reports: channel(readSetting(env, "slackReportsChannel")),
    },
    apiUrl,
    timeZone: readTimeZone(env),
    thresholds: readThresholds(env),
    retry: readRetrySettings(env),
  };
}
