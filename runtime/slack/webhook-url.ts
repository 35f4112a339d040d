/**
 * Shape check for Slack Incoming Webhook URLs, shared by the runtime settings, the doctor command
 * and Pulumi's config.ts. Kept free of heavy imports (no SDKs, no zod) so config.ts can load it.
 * The URL is a secret: no message produced here ever contains it.
 */
import { ConfigError } from "../contract/errors";

export interface WebhookUrlOptions {
  /** What to call the setting in the error, e.g. `SLACK_WEBHOOK_URL` or `slackWebhookUrl`. */
  readonly name?: string;
  /**
   * Also accept `http://127.0.0.1|localhost|[::1]:<port>/…` — the local fake Slack server used by
   * tests and the sandbox. Loopback URLs can only reach the same host, so the runtime accepts them;
   * infrastructure config should not.
   * @default false
   */
  readonly allowLoopback?: boolean;
}

const SLACK_HOST = "hooks.slack.com";
// T… (team) / B… (bot or integration) / token, as Slack issues them.
const SERVICES_PATH = /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+\/?$/;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Why the value is not a usable webhook URL, or undefined when it is. Never includes the value. */
export function webhookUrlProblem(url: string, options: WebhookUrlOptions = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return "is not a URL";
  }
  if (options.allowLoopback && parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname)) {
    return undefined;
  }
  if (parsed.protocol !== "https:") return "must use https";
  // host, not hostname: Slack serves webhooks on 443 only, and https drops ":443" when parsing, so
  // another port (which could only time out at every delivery) is refused here.
  if (parsed.host !== SLACK_HOST) return `must be on ${SLACK_HOST}`;
  if (parsed.username || parsed.password) return "must not contain credentials";
  if (parsed.search || parsed.hash) return "must not have a query string or fragment";
  if (!SERVICES_PATH.test(parsed.pathname)) return "must have the path /services/T…/B…/…";
  return undefined;
}

export function isSlackWebhookUrl(url: string, options: WebhookUrlOptions = {}): boolean {
  return webhookUrlProblem(url, options) === undefined;
}

/**
 * Throws a ConfigError naming the setting and the expected shape when `url` is not a Slack
 * Incoming Webhook URL (`https://hooks.slack.com/services/T…/B…/…`). The message never echoes the
 * value, which is a secret.
 */
export function validateWebhookUrl(url: string, options: WebhookUrlOptions = {}): void {
  const problem = webhookUrlProblem(url, options);
  if (problem === undefined) return;
  const name = options.name ?? "the Slack webhook URL";
  throw new ConfigError(
    // No example URL here: log redaction masks anything shaped like one, which would confuse.
    `${name} ${problem}: it must be a Slack Incoming Webhook URL (https, host ${SLACK_HOST}, ` +
      "path /services/T…/B…/…), copied from the Slack app's Incoming Webhooks page",
  );
}
