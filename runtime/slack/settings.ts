/**
 * Slack settings from the environment: the three webhooks (value or Secrets Manager ARN), the
 * display time zone, the report thresholds and the delivery budget. Every problem is a ConfigError
 * naming the variable; webhook values are secrets and never appear in a message.
 */
import { readInt, readNumber } from "../settings/env";
import { ConfigError } from "../contract/errors";
import { readSetting } from "../settings/read";
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
  return value.trim();
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
 * and the channels, read here from SLACK_BOT_TOKEN / SLACK_BOT_TOKEN_SECRET_ARN and
 * SLACK_BACKUP_CHANNEL, SLACK_ALERTS_CHANNEL, SLACK_REPORTS_CHANNEL until they are entries of the
 * settings declaration: an id such as C0123ABCD, or a name, which Slack resolves when posting; the
 * answer's channel id is what is kept. SLACK_API_URL points the client elsewhere (the fakes).
 */
export const BOT_TOKEN_SECRET: SecretSpec = {
  valueVar: "SLACK_BOT_TOKEN",
  arnVar: "SLACK_BOT_TOKEN_SECRET_ARN",
};

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

const CHANNEL = /^#?[a-z0-9][a-z0-9._-]{0,79}$|^[CG][A-Z0-9]{6,}$/;

/** A channel id or name, without a leading `#`. */
function readChannel(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!CHANNEL.test(value)) {
    throw new ConfigError(
      `${name} must be a channel id such as C0123ABCD or a channel name such as devops-backup (got "${value}")`,
    );
  }
  return value.replace(/^#/, "");
}

/** The bot settings, or undefined when no bot token is configured (webhook mode). */
export async function readBotSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<BotSettings | undefined> {
  const token = await readOptionalSecret(BOT_TOKEN_SECRET, env);
  if (token === undefined) return undefined;
  if (!token.startsWith("xoxb-")) {
    const name = env[BOT_TOKEN_SECRET.valueVar]?.trim()
      ? BOT_TOKEN_SECRET.valueVar
      : `the secret in ${BOT_TOKEN_SECRET.arnVar}`;
    throw new ConfigError(
      `${name} must be a bot token (xoxb-…, "Bot User OAuth Token" on the Slack app's OAuth & Permissions page)`,
    );
  }
  const main = readChannel(env, "SLACK_BACKUP_CHANNEL");
  if (main === undefined) {
    throw new ConfigError("SLACK_BACKUP_CHANNEL must be set with a Slack bot token (e.g. devops-backup)");
  }
  const apiUrl = env.SLACK_API_URL?.trim() || undefined;
  return {
    token,
    channels: {
      main,
      alerts: readChannel(env, "SLACK_ALERTS_CHANNEL"),
      reports: readChannel(env, "SLACK_REPORTS_CHANNEL"),
    },
    apiUrl,
    timeZone: readTimeZone(env),
    thresholds: readThresholds(env),
    retry: readRetrySettings(env),
  };
}
