/**
 * Bot token mode's two deliveries of one event, kept independent and linked both ways:
 * - Slack (slack-notifier Lambda): post to each channel not yet recorded for the event — with the
 *   Notion link already in it when the page exists — and record each message as soon as it is
 *   posted, so a redelivery never posts it again. A follow-up (`followUpOf`) goes to the thread of
 *   the original's main message.
 * - Notion (notion-logger Lambda): write the page (the writer is idempotent itself) — with
 *   Slack_Log_Link already set when the permalink is known — and record it. A follow-up also
 *   updates the original's page (Status, Improvement).
 * Neither waits for the other: each records its half and, when the record it gets back holds both
 * halves, completes what is missing (chat.update adds the Notion link to each message; pages.update
 * sets Slack_Log_Link, and Report_Link on a report's page). Completing is idempotent and flagged in
 * the record, so whichever finishes second does it once, and a redelivery redoes only what failed.
 * The other side's client is built only when completing: a Notion outage cannot delay a Slack
 * alert, nor a Slack outage the Notion page.
 */
import { eventId, type DroxEvent, REPORT_SCHEMA, RESULT_SCHEMA } from "../contract/events";
import type { Logger } from "../logging/logger";
import type { NotionLogger } from "../notion/writer";
import type { BotNotifier } from "../slack/bot";
import type { WebhookName } from "../slack/routing";
import type { LinkRecord, LinkStore } from "./store";

export interface LinkerDeps {
  readonly store: LinkStore;
  readonly slack: () => Promise<BotNotifier>;
  readonly notion: () => Promise<NotionLogger>;
  readonly logger?: Logger;
}

export interface SlackDelivery {
  /** Channels (main, alerts, reports) posted by this call; empty on a redelivery. */
  readonly posted: WebhookName[];
  readonly linked: boolean;
}

export interface NotionDelivery {
  readonly pageId: string;
  readonly created: boolean;
  readonly linked: boolean;
}

export interface Linker {
  deliverSlack(event: DroxEvent): Promise<SlackDelivery>;
  deliverNotion(event: DroxEvent): Promise<NotionDelivery>;
}

function followUpOf(event: DroxEvent): string | undefined {
  return event.schema === RESULT_SCHEMA ? event.followUpOf : undefined;
}

/** The event as the Notion page should show it: with the Slack permalink in `links`. */
function withSlackLog(event: DroxEvent, permalink: string | undefined): DroxEvent {
  if (permalink === undefined) return event;
  const report = event.schema === REPORT_SCHEMA ? { report: permalink } : {};
  return { ...event, links: { ...event.links, slackLog: permalink, ...report } } as DroxEvent;
}

export function createLinker(deps: LinkerDeps): Linker {
  const { store } = deps;

  /** Completes the link both ways when both halves are recorded; true when it is complete. */
  async function complete(event: DroxEvent, record: LinkRecord): Promise<boolean> {
    const id = record.eventId;
    let main = record.slack.main;
    const page = record.notion;
    if (!main || !page) return false;
    const unlinked = (Object.entries(record.slack) as [WebhookName, NonNullable<typeof main>][]).filter(
      ([, message]) => !message.notionLinked,
    );
    if (unlinked.length > 0) {
      const slack = await deps.slack();
      for (const [name, message] of unlinked) {
        await slack.addNotionLink(message, event, page.url);
        await store.markSlackLinked(id, name);
      }
    }
    if (!page.slackLinked) {
      if (!main.permalink) {
        const permalink = await (await deps.slack()).permalink(main);
        main = (await store.putPermalink(id, "main", permalink)).slack.main ?? main;
      }
      const notion = await deps.notion();
      const report = event.schema === REPORT_SCHEMA ? { report: main.permalink } : {};
      await notion.setLinks(page.pageId, { slackLog: main.permalink, ...report });
      await store.markNotionLinked(id);
    }
    deps.logger?.info(
      { eventId: id, pageId: page.pageId, channel: main.channel, ts: main.ts },
      "slack and notion linked",
    );
    return true;
  }

  return {
    async deliverSlack(event) {
      const id = eventId(event);
      let record = (await store.get(id)) ?? { eventId: id, slack: {} };
      const slack = await deps.slack();
      const original = followUpOf(event);
      const thread = original ? (await store.get(original))?.slack.main : undefined;
      const posted: WebhookName[] = [];
      for (const target of slack.targets(event)) {
        if (record.slack[target.name]) continue;
        const notionUrl = record.notion?.url;
        const ref = await slack.post(target, event, {
          notionUrl,
          thread: target.name === "main" ? thread : undefined,
        });
        record = await store.putSlack(id, target.name, {
          channel: ref.channel,
          ts: ref.ts,
          notionLinked: notionUrl !== undefined,
        });
        posted.push(target.name);
        if (target.name === "main") {
          record = await store.putPermalink(id, "main", await slack.permalink(ref));
        }
      }
      const linked = await complete(event, await store.get(id).then((r) => r ?? record));
      return { posted, linked };
    },

    async deliverNotion(event) {
      const id = eventId(event);
      const before = await store.get(id);
      const permalink = before?.slack.main?.permalink;
      const notion = await deps.notion();
      const page = await notion.log(withSlackLog(event, permalink));
      const record = await store.putNotion(id, {
        pageId: page.pageId,
        url: page.url,
        slackLinked: permalink !== undefined && page.created,
      });
      const original = followUpOf(event);
      if (original) {
        const originalPage = (await store.get(original))?.notion;
        if (originalPage) await notion.followUp(originalPage.pageId, event);
      }
      const linked = await complete(event, record);
      return { pageId: page.pageId, created: page.created, linked };
    },
  };
}
