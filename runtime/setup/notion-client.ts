/**
 * The Notion client the doctor and `notion init` use: the same environment contract as the writer
 * (NOTION_TOKEN / NOTION_TOKEN_SECRET_ARN, NOTION_API_BASE_URL) and the same SDK retry, but a short
 * timeout and no client-side pacing — these are a handful of interactive calls, not a burst.
 */
import { Client, LogLevel } from "@notionhq/client";
import { ConfigError } from "../contract/errors";
import { DEFAULT_RETRY } from "../notion";
import { SECRETS, readSecret } from "../settings/secrets";

export const SETUP_TIMEOUT_MS = 10_000;

/** NOTION_API_BASE_URL without `/v1` (the SDK adds it), or undefined for api.notion.com. */
export function notionBaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.NOTION_API_BASE_URL?.trim();
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError("NOTION_API_BASE_URL must be an http(s) URL, e.g. http://127.0.0.1:8787");
  }
  return raw.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** A client from an explicit token (already read from env or Secrets Manager). */
export function notionClientWithToken(token: string, env: NodeJS.ProcessEnv): Client {
  return new Client({
    auth: token,
    baseUrl: notionBaseUrl(env),
    timeoutMs: SETUP_TIMEOUT_MS,
    retry: DEFAULT_RETRY,
    // The SDK's default console logger would print request details; errors reach us as exceptions.
    logLevel: LogLevel.ERROR,
    logger: () => undefined,
  });
}

/** Reads the token (ConfigError naming both variables when neither is set) and builds the client. */
export async function createSetupNotionClient(env: NodeJS.ProcessEnv): Promise<Client> {
  const token = await readSecret(SECRETS.notionToken, env);
  return notionClientWithToken(token, env);
}
