/**
 * The Slack notifier the Lambda handler, the HTTP service and the CLI use: format → route → send.
 * An event is delivered to every webhook it belongs to; if any delivery fails the call throws, so
 * the caller's retry (Lambda, dead-letter queue) takes over. Deliveries that already succeeded in
 * this process are remembered by event id and webhook, so a retry of the same event in a warm
 * container does not post twice to the channels that already have it.
 */
import { eventId, type DroxEvent } from "../contract/events";
import type { Logger } from "../logging/logger";
import { buildPayload, buildTestPayload } from "./blocks";
import { SlackDeliveryError } from "./errors";
import type { FormatOptions } from "./messages";
import { routeEvent, type Target } from "./routing";
import { SlackSender, type SenderOptions } from "./sender";
import type { SlackSettings } from "./settings";

export interface SlackNotifier {
  /** Posts the event to main and, by routing, alerts/reports; throws SlackDeliveryError on failure. */
  notify(event: DroxEvent): Promise<void>;
  /** Posts the test message to the main webhook. */
  sendTest(): Promise<void>;
}

export interface NotifierDeps {
  readonly logger?: Logger;
  /** Sender overrides (tests: fetch, pacing). */
  readonly sender?: Omit<SenderOptions, keyof SlackSettings["retry"] | "logger">;
  readonly now?: () => Date;
}

/** How many (event, webhook) deliveries a warm container remembers. */
const REMEMBERED = 2_000;

export function createSlackNotifier(settings: SlackSettings, deps: NotifierDeps = {}): SlackNotifier {
  const sender = new SlackSender({ ...settings.retry, ...deps.sender, logger: deps.logger });
  const format: FormatOptions = { timeZone: settings.timeZone, thresholds: settings.thresholds };
  const delivered = new Set<string>();
  const remember = (key: string) => {
    delivered.add(key);
    if (delivered.size > REMEMBERED) {
      // A Set iterates in insertion order: its first key is the oldest delivery.
      for (const oldest of delivered) {
        delivered.delete(oldest);
        break;
      }
    }
  };

  return {
    async notify(event) {
      const id = eventId(event);
      const payload = buildPayload(event, format);
      const targets = routeEvent(event, settings.webhooks);
      const pending = targets.filter((t) => !delivered.has(`${id}|${t.url}`));
      const results = await Promise.allSettled(
        pending.map(async (target: Target) => {
          await sender.send(target, payload);
          remember(`${id}|${target.url}`);
        }),
      );
      const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      deps.logger?.info(
        {
          eventId: id,
          schema: event.schema,
          webhooks: targets.map((t) => t.name),
          skipped: targets.length - pending.length,
          failed: errors.length,
        },
        errors.length === 0 ? "Slack notification delivered" : "Slack notification failed",
      );
      if (errors.length === 0) return;
      // A failure that is not Slack's is a bug: thrown as it is, never folded into (and lost among)
      // the refusals of the other webhooks.
      const bug = errors.find((e) => !(e instanceof SlackDeliveryError));
      if (errors.length === 1 || bug !== undefined) throw bug ?? errors[0];
      const all = errors as [SlackDeliveryError, ...SlackDeliveryError[]];
      const first = all[0];
      throw new SlackDeliveryError(all.map((e) => e.message).join(" | "), {
        webhook: first.webhook,
        retryable: all.some((e) => e.retryable),
        statusCode: first.statusCode,
        slackError: first.slackError,
        attempts: Math.max(...all.map((e) => e.attempts)),
        elapsedMs: Math.max(...all.map((e) => e.elapsedMs)),
      });
    },

    async sendTest() {
      const payload = buildTestPayload({ ...format, now: deps.now?.() });
      await sender.send({ name: "main", url: settings.webhooks.main }, payload);
    },
  };
}
