/**
 * Lambda entry points subscribed to the events topic. Thin adapters: parse and validate each SNS
 * record with the one schema module, hand it to the Slack notifier or the Notion logger, and throw
 * when any record could not be delivered so Lambda's retries and the dead-letter queue take over.
 * Clients (and the secrets they need) are built once per cold start. The Notion delivery runs
 * within the invocation's remaining time: a Retry-After that does not fit is handed back to
 * Lambda's retries rather than waited out past the timeout (runtime/notion/pacing.ts).
 * With a Slack bot token (bot mode) both go through the linker (runtime/links/linker.ts): each
 * delivery records its half in the link store and the second to finish links message and page.
 */
import type { Context, SNSEvent } from "aws-lambda";
import { DroxError } from "./contract/errors";
import { eventId, parseEventJson, type DroxEvent } from "./contract/events";
import { createLogger, type Logger } from "./logging/logger";
import {
  createNotionLoggerFromEnv,
  type NotionClientTuning,
  type NotionLogger,
  withDeadline,
} from "./notion";
import { redactText } from "./logging/redact";
import { createSlackNotifierFromEnv, type SlackNotifier } from "./slack";
import { BotNotifier } from "./slack/bot";
import { readBotSettings } from "./slack/settings";
import { once } from "./settings/once";
import { createDynamoDbClient } from "./aws/clients";
import { DynamoDbLinkStore } from "./links/dynamodb";
import { createLinker, type Linker } from "./links/linker";
import { type LinkStore, MemoryLinkStore } from "./links/store";

interface RecordFailure {
  readonly messageId: string;
  readonly reason: string;
  readonly retryable: boolean;
}

export interface HandlerDeps {
  readonly logger?: Logger;
  /** Notion client tuning (tests and the sandbox turn pacing off against the fake). */
  readonly notion?: NotionClientTuning;
  /**
   * Bot mode's link store. Default: the history table (HISTORY_TABLE), or, without one, a store in
   * this process (local runs; both handlers must then run in the same process to link).
   */
  readonly links?: LinkStore;
}

/** What the handlers use of the Lambda context: the time the invocation has left. */
export type InvocationContext = Pick<Context, "getRemainingTimeInMillis">;

export interface Handlers {
  slackNotifier(event: SNSEvent): Promise<void>;
  notionLogger(event: SNSEvent, context?: InvocationContext): Promise<void>;
}

/**
 * Builds both handlers over one environment. Production uses the module-level instances below
 * (bound to process.env); tests and the sandbox build their own.
 */
export function createHandlers(env: NodeJS.ProcessEnv = process.env, deps: HandlerDeps = {}): Handlers {
  const log = deps.logger ?? createLogger({ name: "drox-backup-handlers" });
  const slackClient = once<SlackNotifier>(() => createSlackNotifierFromEnv(env, { logger: log }));
  const notionClient = once<NotionLogger>(() =>
    createNotionLoggerFromEnv(env, { logger: log, ...deps.notion }),
  );
  /** The linker in bot mode, undefined in webhook mode (decided once per cold start). */
  const linker = once<Linker | undefined>(async () => {
    const bot = await readBotSettings(env);
    if (!bot) return undefined;
    const table = env.HISTORY_TABLE?.trim();
    let store = deps.links;
    if (!store && table) store = new DynamoDbLinkStore({ client: createDynamoDbClient(), tableName: table });
    if (!store) {
      log.warn({}, "bot mode without HISTORY_TABLE: links are kept in this process only");
      store = new MemoryLinkStore();
    }
    const slack = new BotNotifier(bot, { logger: log });
    return createLinker({ store, slack: () => Promise.resolve(slack), notion: notionClient, logger: log });
  });

  /**
   * Delivers every record, then throws one error naming each failed record. One failure does not
   * stop the others (SNS sends one record per invocation today, but the contract allows more).
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
        { retryable: failures.some((f) => f.retryable) },
      );
    }
  }

  return {
    async slackNotifier(event) {
      const bot = await linker();
      if (bot) return deliverAll("slack", event, (drox) => bot.deliverSlack(drox));
      const slack = await slackClient();
      await deliverAll("slack", event, (drox) => slack.notify(drox));
    },
    async notionLogger(event, context) {
      const deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
      await withDeadline(deadline, async () => {
        const bot = await linker();
        if (bot) return deliverAll("notion", event, (drox) => bot.deliverNotion(drox));
        const notion = await notionClient();
        await deliverAll("notion", event, (drox) => notion.log(drox));
      });
    },
  };
}

let defaults: Handlers | undefined;
const handlers = (): Handlers => (defaults ??= createHandlers());

/** SNS "events" → Slack (#devops-backup, plus alerts and reports channels where configured). */
export async function slackNotifier(event: SNSEvent): Promise<void> {
  await handlers().slackNotifier(event);
}

/** SNS "events" → a page in the Notion database "백업 로그", once per event id. */
export async function notionLogger(event: SNSEvent, context?: Context): Promise<void> {
  await handlers().notionLogger(event, context);
}
