/**
 * The Notion half of the notification runtime: `createNotionLoggerFromEnv` builds the writer
 * from the environment contract (README: NOTION_TOKEN / NOTION_TOKEN_SECRET_ARN,
 * NOTION_DATABASE_ID, NOTION_API_BASE_URL, DISPLAY_TIME_ZONE, SUCCESS_RATE_OK / _WARN).
 */
import { Client, LogLevel } from "@notionhq/client";
import { ConfigError } from "../contract/errors";
import { type Logger, createLogger } from "../logging/logger";
import { envName, rawSetting, readSetting } from "../settings/read";
import { SECRETS, readSecret } from "../settings/secrets";
import { type Thresholds, readThresholds } from "../settings/success-rate";
import { requireNotionId } from "./ids";
import { currentDeadline } from "./deadline";
import { type FetchLike, createPacer, defaultFetch, pacedFetch, rateLimitGuard } from "./pacing";
import { type NotionLogger, NotionWriter } from "./writer";

export { parseNotionId, requireNotionId, toDashedId } from "./ids";
export {
  EXPECTED_SCHEMA,
  PROPERTY,
  STATUS_OPTIONS,
  CATEGORY_OPTIONS,
  HEALTH_OPTIONS,
  WEEK_OPTIONS,
  checkSchema,
  describeProblem,
  planSchema,
} from "./schema";
export type { PropertySpec, SchemaPlan, SchemaProblem, NotionPropertyType, OptionSpec } from "./schema";
export { NotionApiError, NotionSchemaError, toNotionError } from "./errors";
export { mapEvent, toProperties, type NotionRow } from "./mapping";
export { pageBlocks } from "./blocks";
export {
  NotionWriter,
  pageUrl,
  type LoggedPage,
  type NotionLogger,
  type NotionWriterOptions,
} from "./writer";
export { currentDeadline, withDeadline } from "./deadline";

/** Tuning that is not part of the environment contract (tests, the benchmark). */
export interface NotionClientTuning {
  /** SDK retry budget for 429/529 (and 500/503 on GETs). Default: 3 retries, 1 s base, 10 s cap. */
  readonly retry?: { maxRetries?: number; initialRetryDelayMs?: number; maxRetryDelayMs?: number } | false;
  /** Per-request timeout; default 15 s, so a retry still fits in a Lambda's minute. */
  readonly timeoutMs?: number;
  /** Client-side pacing; default 3 (Notion's documented average per integration). 0 disables it. */
  readonly requestsPerSecond?: number;
  readonly logger?: Logger;
  /** Underlying fetch (before pacing); tests count requests with it. */
  readonly fetch?: FetchLike;
}

export const DEFAULT_RETRY = { maxRetries: 3, initialRetryDelayMs: 1000, maxRetryDelayMs: 10_000 } as const;
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_REQUESTS_PER_SECOND = 3;

/** SUCCESS_RATE_OK / SUCCESS_RATE_WARN: the shared reader, so Slack and Notion parse them alike. */
export function thresholdsFromEnv(env: NodeJS.ProcessEnv = process.env): Thresholds {
  return readThresholds(env);
}

function baseUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.NOTION_API_BASE_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("NOTION_API_BASE_URL must be an http(s) URL, e.g. http://127.0.0.1:8787");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError("NOTION_API_BASE_URL must be an http(s) URL, e.g. http://127.0.0.1:8787");
  }
  // The SDK appends /v1/ itself.
  return raw.replace(/\/+$/, "").replace(/\/v1$/, "");
}

// The client is built with logLevel WARN, so the SDK never calls the logger with DEBUG or INFO, and
// it has no ERROR log (@notionhq/client 5: "request fail" and "unknown parameters" are WARN); the
// table stays complete for its type.
const SDK_LEVELS: Record<LogLevel, "debug" | "info" | "warn" | "error"> = {
  // Stryker disable next-line StringLiteral: never called at DEBUG (logLevel WARN)
  [LogLevel.DEBUG]: "debug",
  // Stryker disable next-line StringLiteral: never called at INFO (logLevel WARN)
  [LogLevel.INFO]: "info",
  [LogLevel.WARN]: "warn",
  // Stryker disable next-line StringLiteral: the SDK logs nothing at ERROR
  [LogLevel.ERROR]: "error",
};

export async function createNotionLoggerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  tuning: NotionClientTuning = {},
): Promise<NotionLogger> {
  const databaseId = requireNotionId(rawSetting(env, "notionDatabaseId"), envName("notionDatabaseId"));
  const timeZone = readSetting(env, "displayTimeZone");
  const thresholds = thresholdsFromEnv(env);
  const baseUrl = baseUrlFromEnv(env);
  const token = await readSecret(SECRETS.notionToken, env);
  const logger = tuning.logger ?? createLogger({ name: "notion" });
  const rps = tuning.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
  const retry = tuning.retry ?? DEFAULT_RETRY;
  const pacer = rps > 0 ? createPacer(rps) : undefined;
  // Outermost: the guard sees each answer once, before the SDK decides to retry it.
  const paced = pacer ? pacedFetch(pacer, tuning.fetch, { deadline: currentDeadline }) : undefined;
  const fetch = rateLimitGuard(paced ?? tuning.fetch ?? defaultFetch, {
    maxWaitMs: retry === false ? 0 : (retry.maxRetryDelayMs ?? DEFAULT_RETRY.maxRetryDelayMs),
    deadline: currentDeadline,
    pacer,
  });
  const client = new Client({
    auth: token,
    baseUrl,
    timeoutMs: tuning.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry,
    fetch,
    logLevel: LogLevel.WARN,
    // The SDK's console logger would bypass redaction; route it through ours.
    logger: (level, message, extra) =>
      logger[SDK_LEVELS[level]]({ sdk: "@notionhq/client", ...extra }, message),
  });
  return new NotionWriter({ client, databaseId, timeZone, thresholds, logger });
}
