/**
 * Slack for drox-backup: `createSlackNotifierFromEnv` for the Lambda handler, the HTTP service and
 * the CLI, plus the pure pieces (formatting, blocks, routing, URL check) for the doctor and tests.
 */
import type { Logger } from "../logging/logger";
import { createSlackNotifier, type NotifierDeps, type SlackNotifier } from "./notifier";
import { BotNotifier } from "./bot";
import { readBotSettings, readSlackSettings } from "./settings";

export {
  buildPayload,
  buildTestPayload,
  escapeMrkdwn,
  listBlocks,
  MAX_BLOCKS,
  MAX_SECTION_TEXT,
} from "./blocks";
export type { SlackBlock, SlackPayload } from "./blocks";
export { adviceFor, SlackDeliveryError } from "./errors";
export {
  DEFAULT_THRESHOLDS,
  formatMessage,
  formatPercent,
  formatTestMessage,
  successRateEmoji,
  truncate,
  type FormatOptions,
  type Thresholds,
} from "./messages";
export { createSlackNotifier, type NotifierDeps, type SlackNotifier } from "./notifier";
export { BotNotifier, notionLinkBlock, withNotionLink, type BotTarget } from "./bot";
export {
  apiAdvice,
  INVITE_COMMAND,
  REQUIRED_SCOPES,
  SlackApiError,
  SlackWebApi,
  type MessageRef,
  type UploadFileOptions,
} from "./web-api";
export { channelsFor, routeEvent, type Target, type WebhookName } from "./routing";
export { parseRetryAfter, SlackSender, type SenderOptions } from "./sender";
export {
  DEFAULT_RETRY,
  readRetrySettings,
  readSlackSettings,
  readThresholds,
  readTimeZone,
  type RetrySettings,
  type SlackSettings,
  type Webhooks,
  readBotSettings,
  BOT_TOKEN_SECRET,
  type BotSettings,
  type BotChannels,
} from "./settings";
export {
  isSlackWebhookUrl,
  validateWebhookUrl,
  webhookUrlProblem,
  type WebhookUrlOptions,
} from "./webhook-url";

/**
 * Reads the Slack settings (webhooks from env or Secrets Manager, once per cold start) and returns
 * a notifier: the bot (chat.postMessage) when a bot token is configured, the webhooks otherwise.
 * Bad settings throw a ConfigError naming the variable, never its secret value.
 */
export async function createSlackNotifierFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  deps: NotifierDeps & { readonly logger?: Logger } = {},
): Promise<SlackNotifier> {
  const bot = await readBotSettings(env);
  if (bot) return new BotNotifier(bot, { logger: deps.logger, now: deps.now });
  return createSlackNotifier(await readSlackSettings(env), deps);
}
