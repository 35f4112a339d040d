/**
 * Where the link between an event's Slack message and its Notion page lives while the two
 * deliveries run independently (bot token mode). The slack-notifier Lambda records the messages it
 * posted, the notion-logger Lambda the page it wrote; each write answers the whole record, and the
 * delivery whose write finds the other half already there completes the link both ways
 * (./linker.ts). Records double as the redelivery guard: a message or a page already recorded is
 * never made twice.
 */
import type { WebhookName } from "../slack/routing";

/** One posted Slack message of an event (main, alerts or reports channel). */
export interface SlackMessageLink {
  readonly channel: string;
  readonly ts: string;
  /** chat.getPermalink of the message (main only: it is what the Notion page links to). */
  readonly permalink?: string;
  /** Whether the message already carries the link to the Notion page. */
  readonly notionLinked: boolean;
}

export interface NotionPageLink {
  readonly pageId: string;
  readonly url: string;
  /** Whether the page's Slack_Log_Link is already set. */
  readonly slackLinked: boolean;
}

export interface LinkRecord {
  readonly eventId: string;
  readonly slack: Partial<Record<WebhookName, SlackMessageLink>>;
  readonly notion?: NotionPageLink;
}

export interface LinkStore {
  get(eventId: string): Promise<LinkRecord | undefined>;
  /** Records a posted message unless one is recorded for that channel already; answers the record. */
  putSlack(eventId: string, target: WebhookName, message: SlackMessageLink): Promise<LinkRecord>;
  putPermalink(eventId: string, target: WebhookName, permalink: string): Promise<LinkRecord>;
  /** Records the page unless one is recorded already; answers the record. */
  putNotion(eventId: string, page: NotionPageLink): Promise<LinkRecord>;
  markSlackLinked(eventId: string, target: WebhookName): Promise<void>;
  markNotionLinked(eventId: string): Promise<void>;
}

/** One process's store: local runs, the sandbox and tests (both handlers share the instance). */
export class MemoryLinkStore implements LinkStore {
  private readonly records = new Map<string, LinkRecord>();

  get(eventId: string): Promise<LinkRecord | undefined> {
    const found = this.records.get(eventId);
    return Promise.resolve(found ? structuredClone(found) : undefined);
  }

  private update(eventId: string, change: (r: LinkRecord) => LinkRecord): Promise<LinkRecord> {
    const next = change(this.records.get(eventId) ?? { eventId, slack: {} });
    this.records.set(eventId, next);
    return Promise.resolve(structuredClone(next));
  }

  putSlack(eventId: string, target: WebhookName, message: SlackMessageLink): Promise<LinkRecord> {
    return this.update(eventId, (r) =>
      r.slack[target] ? r : { ...r, slack: { ...r.slack, [target]: message } },
    );
  }

  putPermalink(eventId: string, target: WebhookName, permalink: string): Promise<LinkRecord> {
    return this.update(eventId, (r) => {
      const message = r.slack[target];
      return message ? { ...r, slack: { ...r.slack, [target]: { ...message, permalink } } } : r;
    });
  }

  putNotion(eventId: string, page: NotionPageLink): Promise<LinkRecord> {
    return this.update(eventId, (r) => (r.notion ? r : { ...r, notion: page }));
  }

  async markSlackLinked(eventId: string, target: WebhookName): Promise<void> {
    await this.update(eventId, (r) => {
      const message = r.slack[target];
      return message ? { ...r, slack: { ...r.slack, [target]: { ...message, notionLinked: true } } } : r;
    });
  }

  async markNotionLinked(eventId: string): Promise<void> {
    await this.update(eventId, (r) => (r.notion ? { ...r, notion: { ...r.notion, slackLinked: true } } : r));
  }
}
