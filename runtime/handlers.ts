/**
 * Lambda entry points subscribed to the events topic. Thin adapters: parse and validate each SNS
 * record with the one schema module, hand it to the Slack notifier or the Notion logger, and throw
 * when any record could not be delivered so Lambda's retries and the dead-letter queue take over.
 * Clients (and the secrets they need) are built once per cold start.
 */
import type { SNSEvent } from "aws-lambda";
import { DroxError } from "./errors";
import { eventId, parseEventJson, type DroxEvent } from "./events";
import { createLogger } from "./logger";
import { createNotionLoggerFromEnv, type NotionLogger } from "./notion";
import { redactText } from "./redact";
import { createSlackNotifierFromEnv, type SlackNotifier } from "./slack";

const log = createLogger({ name: "drox-backup-handlers" });

/** Memoises an async factory per cold start; a failed build is retried on the next invocation. */
function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

const slackClient = once<SlackNotifier>(() => createSlackNotifierFromEnv());
const notionClient = once<NotionLogger>(() => createNotionLoggerFromEnv());

interface RecordFailure {
  readonly messageId: string;
  readonly reason: string;
  readonly retryable: boolean;
}

/**
 * Delivers every record, then throws one error naming each failed record. Records are handled in
 * order; one failure does not stop the others (SNS sends one record per invocation today, but the
 * contract allows more).
 */
async function deliverAll(
  target: string,
  event: SNSEvent,
  deliver: (drox: DroxEvent) => Promise<unknown>,
): Promise<void> {
  const failures: RecordFailure[] = [];
  for (const record of event.Records) {
    const messageId = record.Sns.MessageId;
    try {
      const drox = parseEventJson(record.Sns.Message);
      const outcome = await deliver(drox);
      log.info(
        { target, messageId, eventId: eventId(drox), schema: drox.schema, outcome },
        `${target} delivered`,
      );
    } catch (error) {
      const reason = redactText(error instanceof Error ? error.message : String(error));
      const retryable = error instanceof DroxError ? error.retryable : true;
      log.error({ target, messageId, err: error, retryable }, `${target} delivery failed: ${reason}`);
      failures.push({ messageId, reason, retryable });
    }
  }
  if (failures.length > 0) {
    const detail = failures.map((f) => `${f.messageId}: ${f.reason}`).join("; ");
    throw new DroxError(
      `${target}: ${failures.length} of ${event.Records.length} record(s) failed: ${detail}`,
      {
        retryable: failures.some((f) => f.retryable),
      },
    );
  }
}

/** SNS "events" → Slack (#devops-backup, plus alerts and reports channels where configured). */
export async function slackNotifier(event: SNSEvent): Promise<void> {
  const slack = await slackClient();
  await deliverAll("slack", event, (drox) => slack.notify(drox));
}

/** SNS "events" → a page in the Notion database "백업 로그", once per event id. */
export async function notionLogger(event: SNSEvent): Promise<void> {
  const notion = await notionClient();
  await deliverAll("notion", event, async (drox) => notion.log(drox));
}
