/**
 * Slack's Web API for bot token mode, on the official @slack/web-api client: its retries (p-retry)
 * and its rate-limit handling (a 429 pauses the client's queue for `Retry-After` seconds, then
 * retries) are used as they are, not re-implemented. Two choices are ours:
 * - One request at a time per client (`maxRequestConcurrency: 1`). chat.postMessage allows about
 *   one message per second per channel (https://docs.slack.dev/reference/methods/chat.postMessage,
 *   "Rate limits"); with many requests in flight, every one of them would meet the same 429 and
 *   spend a retry on it, and a burst would run out of retries. In one queue a message waits its
 *   turn without spending retries, and only the one at the head meets the limit.
 * - Retries with short backoff steps (DEFAULT_API_RETRY; the 429 wait is the SDK's own, on top).
 * Errors become SlackApiError: Slack's error string, whether a retry can help, and what to do. The
 * token never leaves this module: the SDK's logger is routed through ours (redacted) and errors
 * keep only Slack's error code.
 */
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type Logger as SlackLogger,
  type RetryOptions,
} from "@slack/web-api";
import { DroxError } from "../contract/errors";
import type { Logger } from "../logging/logger";
import { redactText } from "../logging/redact";
import type { SlackBlock } from "./blocks";

/** What a message carries: the seed text, and blocks that render it (optional for plain posts). */
export interface ApiMessage {
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
}

/** Scopes the bot needs: post and edit messages, upload the report's chart, read channel info. */
export const REQUIRED_SCOPES = ["chat:write", "files:write", "channels:read"] as const;

/** The exact command that adds the bot to a channel (the app's display name in the guide). */
export const INVITE_COMMAND = "/invite @DROX DevOps Backup";

/**
 * A retried request joins the back of the client's queue (the SDK re-adds it), so in a burst to one
 * channel a message can meet the per-channel limit more than once: 8 retries, short backoff steps
 * (each 429 also waits its Retry-After). bench:slack measured 1 of 60 lost with 4.
 */
export const DEFAULT_API_RETRY: RetryOptions = {
  retries: 8,
  factor: 2,
  minTimeout: 200,
  maxTimeout: 2_000,
  randomize: true,
};

/** A message as Slack identifies it: channel id and timestamp. */
export interface MessageRef {
  readonly channel: string;
  readonly ts: string;
}

export interface AuthInfo {
  readonly team: string;
  readonly user: string;
  readonly botId?: string;
  readonly url?: string;
  /** Scopes granted to the token (Slack's `X-OAuth-Scopes`). */
  readonly scopes: readonly string[];
}

export interface ChannelInfo {
  readonly id: string;
  readonly name: string;
  readonly isMember: boolean;
  readonly isArchived: boolean;
}

export interface UploadFileOptions {
  /** Channel id to share the file in. */
  readonly channel: string;
  readonly filename: string;
  readonly data: Buffer;
  readonly title?: string;
  /** The parent message's ts, to share the file in its thread. */
  readonly threadTs?: string;
  readonly initialComment?: string;
}

export interface SlackWebApiOptions {
  readonly token: string;
  /** Base URL, e.g. a fake's `http://127.0.0.1:<port>/api/`. @default https://slack.com/api/ */
  readonly apiUrl?: string;
  readonly retry?: RetryOptions;
  /** Per-request timeout. @default 5000 */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** Slack answered `ok: false`, or could not be reached. */
export class SlackApiError extends DroxError {
  readonly method: string;
  readonly slackError?: string;

  constructor(
    message: string,
    options: { method: string; slackError?: string; retryable: boolean; statusCode?: number },
  ) {
    super(message, {
      retryable: options.retryable,
      statusCode: options.statusCode,
      body: options.slackError,
    });
    this.method = options.method;
    this.slackError = options.slackError;
  }
}

/** Errors a retry cannot fix: the token, the scopes, the channel or the message itself. */
const PERMANENT = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "not_allowed_token_type",
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "message_not_found",
  "cant_update_message",
  "thread_not_found",
  "no_text",
  "invalid_blocks",
  "invalid_blocks_format",
  "msg_too_long",
  "msg_blocks_too_long",
  "invalid_arguments",
  "file_not_found",
  "restricted_action",
]);

/** What to do about a Slack error code, for messages and the doctor. */
export function apiAdvice(slackError: string | undefined, channel?: string): string {
  const where = channel ? ` (${channel})` : "";
  switch (slackError) {
    case "not_in_channel":
      return `the bot is not in the channel${where}: type ${INVITE_COMMAND} in it`;
    case "channel_not_found":
      return `the channel${where} does not exist or the bot cannot see it: check SLACK_*_CHANNEL (an id such as C0123ABCD, or the name), and for a private channel type ${INVITE_COMMAND} in it`;
    case "is_archived":
      return `the channel${where} is archived: unarchive it or configure another one`;
    case "invalid_auth":
    case "not_authed":
    case "token_revoked":
    case "token_expired":
    case "account_inactive":
      return "Slack does not accept the bot token: copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into slackBotToken, and reinstall the app if it was removed";
    case "missing_scope":
      return `the bot token lacks a scope: add ${REQUIRED_SCOPES.join(", ")} under OAuth & Permissions → Bot Token Scopes, then reinstall the app`;
    default:
      return "see the Slack error above";
  }
}

function describe(method: string, error: unknown): SlackApiError {
  const code = (error as { code?: unknown }).code;
  if (code === ErrorCode.PlatformError) {
    const data = (error as { data?: { error?: unknown; needed?: unknown } }).data;
    // Stryker disable next-line OptionalChaining: the SDK sets a platform error's data to Slack's answer, always
    const slackError = typeof data?.error === "string" ? data.error : "unknown_error";
    // Stryker disable next-line OptionalChaining: the SDK sets a platform error's data to Slack's answer, always
    const needed = typeof data?.needed === "string" ? ` (needs ${data.needed})` : "";
    return new SlackApiError(`Slack ${method}: ${slackError}${needed} — ${apiAdvice(slackError)}`, {
      method,
      slackError,
      retryable: !PERMANENT.has(slackError),
    });
  }
  if (code === ErrorCode.RateLimitedError) {
    return new SlackApiError(`Slack ${method}: ratelimited`, {
      method,
      slackError: "ratelimited",
      retryable: true,
      statusCode: 429,
    });
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as { statusCode?: unknown }).statusCode;
    // Stryker disable next-line ConditionalExpression: the SDK's HTTP error carries the response's numeric status, always
    const statusCode = typeof status === "number" ? status : undefined;
    return new SlackApiError(`Slack ${method}: HTTP ${statusCode ?? "error"}`, {
      method,
      retryable: true,
      statusCode,
    });
  }
  // Network errors and timeouts: the SDK's message names the URL, never the token; scrub anyway.
  const message = error instanceof Error ? redactText(error.message) : "request failed";
  return new SlackApiError(`Slack ${method}: ${message}`, { method, retryable: true });
}

function sdkLogger(logger: Logger | undefined): SlackLogger {
  let level = LogLevel.WARN;
  const write =
    (kind: "debug" | "info" | "warn" | "error") =>
    (...msgs: unknown[]) =>
      logger?.[kind]({ sdk: "@slack/web-api" }, redactText(msgs.map(String).join(" ")));
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    setLevel: (l: LogLevel) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * The calls drox-backup makes. `uploadFile` is the one the report's chart goes through
 * (files.getUploadURLExternal → the upload URL → files.completeUploadExternal, as filesUploadV2).
 */
export class SlackWebApi {
  private readonly client: WebClient;

  constructor(options: SlackWebApiOptions) {
    this.client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      retryConfig: options.retry ?? DEFAULT_API_RETRY,
      timeout: options.timeoutMs ?? 5_000,
      maxRequestConcurrency: 1,
      logger: sdkLogger(options.logger),
      logLevel: LogLevel.WARN,
    });
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw describe(method, error);
    }
  }

  async postMessage(channel: string, payload: ApiMessage, threadTs?: string): Promise<MessageRef> {
    const out = await this.call("chat.postMessage", () =>
      this.client.chat.postMessage({
        channel,
        text: payload.text,
        blocks: payload.blocks ? [...payload.blocks] : undefined,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
      }),
    );
    if (!out.channel || !out.ts) {
      throw new SlackApiError("Slack chat.postMessage: answer without channel or ts", {
        method: "chat.postMessage",
        retryable: true,
      });
    }
    return { channel: out.channel, ts: out.ts };
  }

  async update(ref: MessageRef, payload: ApiMessage): Promise<void> {
    await this.call("chat.update", () =>
      this.client.chat.update({
        channel: ref.channel,
        ts: ref.ts,
        text: payload.text,
        blocks: payload.blocks ? [...payload.blocks] : undefined,
      }),
    );
  }

  async permalink(ref: MessageRef): Promise<string> {
    const out = await this.call("chat.getPermalink", () =>
      this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }),
    );
    if (!out.permalink) {
      throw new SlackApiError("Slack chat.getPermalink: answer without permalink", {
        method: "chat.getPermalink",
        retryable: true,
      });
    }
    return out.permalink;
  }

  async authTest(): Promise<AuthInfo> {
    const out = await this.call("auth.test", () => this.client.auth.test());
    return {
      team: out.team ?? "",
      user: out.user ?? "",
      botId: out.bot_id,
      url: out.url,
      // Stryker disable next-line OptionalChaining: the SDK adds response_metadata to every answer (from the headers)
      scopes: out.response_metadata?.scopes ?? [],
    };
  }

  async channelInfo(channel: string): Promise<ChannelInfo> {
    const out = await this.call("conversations.info", () => this.client.conversations.info({ channel }));
    const c = out.channel;
    return {
      id: c?.id ?? channel,
      name: c?.name ?? channel,
      isMember: c?.is_member ?? false,
      isArchived: c?.is_archived ?? false,
    };
  }

  /** Uploads `data` and shares it in `channel` (in the thread of `threadTs` when given). */
  async uploadFile(options: UploadFileOptions): Promise<{ fileId: string }> {
    const common = {
      channel_id: options.channel,
      file: options.data,
      filename: options.filename,
      title: options.title ?? options.filename,
      ...(options.initialComment ? { initial_comment: options.initialComment } : {}),
    };
    const { threadTs } = options;
    const out = await this.call("files.uploadV2", () =>
      this.client.filesUploadV2(threadTs ? { ...common, thread_ts: threadTs } : common),
    );
    const files = (out.files ?? []) as { files?: { id?: string }[] }[];
    const fileId = files[0]?.files?.[0]?.id;
    if (!fileId) {
      throw new SlackApiError("Slack files.completeUploadExternal: answer without a file id", {
        method: "files.completeUploadExternal",
        retryable: true,
      });
    }
    return { fileId };
  }
}
