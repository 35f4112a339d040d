/**
 * Why a Slack delivery failed, in terms a user can act on. Slack's incoming webhooks answer with a
 * status and a short error string (`channel_not_found`, `no_service`, …); each maps to what to
 * check, after the seed's troubleshooting list (webhook URL correct, Slack app not disabled,
 * channel not deleted, setting present). The webhook URL is a secret: it never enters a message,
 * a `cause` or a stack here — callers pass only the webhook's name.
 */
import { DroxError } from "../contract/errors";
import { redactText } from "../logging/redact";
import { SECRETS } from "../settings/secrets";
import type { WebhookName } from "./routing";

export interface SlackDeliveryErrorOptions {
  readonly webhook: WebhookName;
  readonly retryable: boolean;
  readonly statusCode?: number;
  /** Slack's error string, e.g. `channel_not_found`. */
  readonly slackError?: string;
  readonly attempts: number;
  readonly elapsedMs: number;
  /** A scrubbed stand-in for the low-level error (never the SDK's own, which holds the URL). */
  readonly cause?: Error;
}

export class SlackDeliveryError extends DroxError {
  readonly webhook: WebhookName;
  readonly slackError?: string;
  readonly attempts: number;
  readonly elapsedMs: number;

  constructor(message: string, options: SlackDeliveryErrorOptions) {
    super(message, {
      retryable: options.retryable,
      statusCode: options.statusCode,
      body: options.slackError,
      cause: options.cause,
    });
    this.webhook = options.webhook;
    this.slackError = options.slackError;
    this.attempts = options.attempts;
    this.elapsedMs = options.elapsedMs;
  }
}

const SETTINGS: Record<WebhookName, string> = {
  main: `${SECRETS.slackWebhook.valueVar} / ${SECRETS.slackWebhook.arnVar}`,
  alerts: `${SECRETS.slackAlertsWebhook.valueVar} / ${SECRETS.slackAlertsWebhook.arnVar}`,
  reports: `${SECRETS.slackReportsWebhook.valueVar} / ${SECRETS.slackReportsWebhook.arnVar}`,
};

/** The setting (env var, or the Secrets Manager secret behind it) holding a webhook's URL. */
export function settingOf(webhook: WebhookName): string {
  return SETTINGS[webhook];
}

/**
 * Answers about the message itself rather than the webhook: invalid_payload and user_not_found
 * (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks), the Block
 * Kit refusals, msg_blocks_too_long (blocks over about 12,000 characters of text in all,
 * https://github.com/slackapi/bolt-js/issues/2509), msg_too_long (Slack's maintainers report it
 * below the documented 40,000 characters, https://github.com/seratch/ChatGPT-in-Slack/issues/102)
 * and missing_text_or_fallback_or_attachments (a payload with nothing to show,
 * https://github.com/slackapi/slack-github-action/issues/117). The sender answers these by posting
 * the plain `text` once instead of losing the alert.
 */
const PAYLOAD_ERRORS: ReadonlySet<string | undefined> = new Set([
  "invalid_payload",
  "no_text",
  "missing_text_or_fallback_or_attachments",
  "invalid_blocks",
  "invalid_blocks_format",
  "msg_blocks_too_long",
  "msg_too_long",
  "invalid_attachments",
  "too_many_attachments",
  "user_not_found",
]);

/** Whether Slack refused the message's content (not the webhook, the channel or the rate). */
export function isPayloadError(slackError: string | undefined): boolean {
  return PAYLOAD_ERRORS.has(slackError);
}

/** What the user should check for a non-retryable answer from Slack. */
export function adviceFor(webhook: WebhookName, statusCode: number, slackError: string | undefined): string {
  const setting = settingOf(webhook);
  const recreate = `create a new Incoming Webhook in the Slack app "DROX DevOps Backup" and put its URL in ${setting}`;
  switch (slackError) {
    case "channel_not_found":
      return `the webhook's channel does not exist: check that the channel was not deleted, then ${recreate}`;
    case "channel_is_archived":
      return `the webhook's channel is archived: unarchive it, or ${recreate}`;
    case "no_service":
    case "no_service_id":
    case "invalid_token":
    case "no_active_hooks":
      return (
        `Slack does not know this webhook: check that the webhook URL in ${setting} is correct (copied whole) ` +
        `and that the Slack app and its Incoming Webhook were not disabled or removed; if they were, ${recreate}`
      );
    case "no_team":
    case "team_disabled":
      return `the webhook's Slack workspace was not found or is disabled: check that the webhook URL in ${setting} is correct and the workspace is active`;
    case "action_prohibited":
      return "a Slack admin restriction forbids this webhook from posting: ask a workspace admin to allow the app, or pick another channel";
    case "posting_to_general_channel_denied":
      return `only admins may post to this channel (e.g. #general): ${recreate} for another channel such as #devops-backup`;
    case "msg_blocks_too_long":
      return (
        "Slack refused the message's blocks as too long (about 12,000 characters of text in all); drox-backup " +
        "keeps them under 9,000 and falls back to the plain text, so this is a drox-backup bug: please report " +
        "it with the event id"
      );
    case "missing_text_or_fallback_or_attachments":
      return "Slack received a message with no text, blocks or attachments: this is a drox-backup bug, please report it with the event id";
  }
  if (isPayloadError(slackError)) {
    return "Slack rejected the message itself: this is a drox-backup bug, please report it with the event id";
  }
  if (statusCode === 404 || statusCode === 401 || statusCode === 403) {
    return (
      `check that the webhook URL in ${setting} is correct, that the Slack app is not disabled ` +
      "and that the channel was not deleted"
    );
  }
  if (statusCode === 410) return `the channel is gone or archived: ${recreate}`;
  return `check that the webhook URL in ${setting} is correct and that the Slack app is not disabled`;
}

/**
 * Slack's error string: the body of a webhook's answer (`channel_not_found`), or the `error` of a
 * Web API style JSON answer. Anything else is scrubbed and cut to 120 characters; a plain error
 * string goes through the same scrubbing unchanged.
 */
export function slackErrorCode(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  const trimmed = body.trim();
  if (trimmed === "") return undefined;
  try {
    const parsed = JSON.parse(trimmed) as { error?: unknown };
    if (typeof parsed.error === "string" && /^[a-z_]{2,64}$/.test(parsed.error)) return parsed.error;
  } catch {
    // Not JSON: fall through to the scrubbed excerpt.
  }
  return redactText(trimmed.slice(0, 120));
}

/**
 * A stand-in cause for a low-level failure: keeps the names, codes and (scrubbed) messages of the
 * error chain, drops everything else — the SDK's errors carry the request, and so the URL.
 */
export function scrubbedCause(error: unknown, url: string): Error {
  const chain: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 5) {
    chain.push(current);
    current = current.cause;
  }
  const [outer = new Error(String(error)), ...rest] = chain;
  // The SDK's wrapper only restates its inner error; the inner ones say what happened.
  const inner = rest.length > 0 ? rest : [outer];
  const timeout = inner.find((e) => e.name === "TimeoutError");
  const code = inner
    .map((e) => (e as { code?: unknown }).code)
    .find((c): c is string => typeof c === "string" && !c.startsWith("slack_"));
  const messages = [...new Set(inner.map((e) => e.message).filter((m) => m !== ""))];
  const message = redactText(messages.join(": ").split(url).join("[REDACTED]"));
  const scrubbed = new Error(code === undefined ? message : `${message} (${code})`);
  scrubbed.name = (timeout ?? inner[0] ?? outer).name;
  // Our own stack says where we were; the original's would add nothing but the SDK's frames.
  return scrubbed;
}
