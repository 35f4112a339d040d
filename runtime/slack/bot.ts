/**
 * Bot token mode's Slack side: the same texts and blocks as webhook mode (buildPayload), posted
 * with chat.postMessage to the configured channels by the same routing, plus what a webhook cannot
 * do: the message's id and permalink, a follow-up in its thread, and the link to the Notion page
 * added later by chat.update. `notify` alone (no link store) serves callers that only post, such
 * as the HTTP service; the Lambda goes through ../links/linker.ts, which remembers what was posted.
 */
import type { DroxEvent } from "../contract/events";
import type { Logger } from "../logging/logger";
import { buildPayload, buildTestPayload, MAX_BLOCKS, type SlackBlock, type SlackPayload } from "./blocks";
import type { FormatOptions } from "./messages";
import type { SlackNotifier } from "./notifier";
import { channelsFor, type WebhookName } from "./routing";
import type { BotSettings } from "./settings";
import { type MessageRef, SlackWebApi } from "./web-api";

export interface BotTarget {
  readonly name: WebhookName;
  readonly channel: string;
}

export interface BotNotifierDeps {
  readonly logger?: Logger;
  /** A ready client (tests, the benchmark); otherwise one is built from the settings. */
  readonly api?: SlackWebApi;
  readonly now?: () => Date;
}

/** The context line that links a message to its Notion page. */
export function notionLinkBlock(url: string): SlackBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: `📒 <${url}|Notion 로그>` }] };
}

/** The event's payload, with the Notion link as a last block when the page is known. */
export function withNotionLink(payload: SlackPayload, notionUrl: string | undefined): SlackPayload {
  if (notionUrl === undefined) return payload;
  // Within Slack's 50 blocks: the link replaces the last block only if the message is full (the
  // slice leaves a shorter message whole).
  const blocks = payload.blocks.slice(0, MAX_BLOCKS - 1);
  return { text: payload.text, blocks: [...blocks, notionLinkBlock(notionUrl)] };
}

export class BotNotifier implements SlackNotifier {
  readonly api: SlackWebApi;
  private readonly format: FormatOptions;

  constructor(
    private readonly settings: BotSettings,
    private readonly deps: BotNotifierDeps = {},
  ) {
    this.api =
      deps.api ??
      new SlackWebApi({
        token: settings.token,
        apiUrl: settings.apiUrl,
        timeoutMs: settings.retry.timeoutMs,
        logger: deps.logger,
      });
    this.format = { timeZone: settings.timeZone, thresholds: settings.thresholds };
  }

  /** The configured channels of an event, main first, each channel once. */
  targets(event: DroxEvent): BotTarget[] {
    const seen = new Set<string>();
    const targets: BotTarget[] = [];
    for (const name of channelsFor(event)) {
      const channel = this.settings.channels[name];
      if (channel === undefined || seen.has(channel)) continue;
      seen.add(channel);
      targets.push({ name, channel });
    }
    return targets;
  }

  payload(event: DroxEvent, notionUrl?: string): SlackPayload {
    return withNotionLink(buildPayload(event, this.format), notionUrl);
  }

  /** Posts the event to one channel, or as a reply in `thread` (whose channel it then uses). */
  post(target: BotTarget, event: DroxEvent, options: { notionUrl?: string; thread?: MessageRef } = {}) {
    const channel = options.thread?.channel ?? target.channel;
    return this.api.postMessage(channel, this.payload(event, options.notionUrl), options.thread?.ts);
  }

  permalink(ref: MessageRef): Promise<string> {
    return this.api.permalink(ref);
  }

  /** Re-renders the message with the Notion link: chat.update with the same text and blocks, plus it. */
  addNotionLink(ref: MessageRef, event: DroxEvent, notionUrl: string): Promise<void> {
    return this.api.update(ref, this.payload(event, notionUrl));
  }

  async notify(event: DroxEvent): Promise<void> {
    for (const target of this.targets(event)) await this.post(target, event);
  }

  async sendTest(): Promise<void> {
    const payload = buildTestPayload({ ...this.format, now: this.deps.now?.() });
    await this.api.postMessage(this.settings.channels.main, payload);
  }
}
