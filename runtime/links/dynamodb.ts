/**
 * Links in the job history table, beside the runs: one item per event, partition key
 * `jobId` = `link#<event id>` (job ids never contain `#`, so no run is shadowed). The item has no
 * `monthKey`, so the sparse `byMonth` index the history lists through never sees it, and the
 * table's TTL (`expiresAt`) removes it after 35 days — links matter while a result is fresh and its
 * follow-ups (at most a day or two later) still come. Each Slack message is a map attribute
 * (`slack_main`, `slack_alerts`, `slack_reports`), the page is `notion`. Every write is one
 * UpdateItem with `if_not_exists` (the first message or page recorded wins; a redelivery does not
 * replace it) and ReturnValues ALL_NEW: the answer is the record after the write, so exactly one
 * of two deliveries finishing together sees the other's half
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html: updates to
 * one item are atomic).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError } from "../contract/errors";
import type { WebhookName } from "../slack/routing";
import type { LinkRecord, LinkStore, NotionPageLink, SlackMessageLink } from "./store";

export const LINK_KEY_PREFIX = "link#";
export const LINK_RETENTION_DAYS = 35;
const TARGETS: readonly WebhookName[] = ["main", "alerts", "reports"];

export interface DynamoDbLinkStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

function toRecord(eventId: string, item: Record<string, unknown> | undefined): LinkRecord | undefined {
  if (!item) return undefined;
  const slack: Partial<Record<WebhookName, SlackMessageLink>> = {};
  for (const target of TARGETS) {
    const message = item[`slack_${target}`] as SlackMessageLink | undefined;
    if (message) slack[target] = message;
  }
  const notion = item.notion as NotionPageLink | undefined;
  return { eventId, slack, ...(notion ? { notion } : {}) };
}

export class DynamoDbLinkStore implements LinkStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: DynamoDbLinkStoreOptions) {
    if (!options.tableName) throw new ConfigError("HISTORY_TABLE is not set: bot mode keeps its links there");
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
  }

  private expiresAt(): number {
    return Math.floor(this.now().getTime() / 1000) + LINK_RETENTION_DAYS * 86_400;
  }

  async get(eventId: string): Promise<LinkRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { jobId: LINK_KEY_PREFIX + eventId },
        ConsistentRead: true,
      }),
    );
    return toRecord(eventId, out.Item);
  }

  private async update(
    eventId: string,
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
    condition?: string,
  ): Promise<LinkRecord> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId: LINK_KEY_PREFIX + eventId },
        UpdateExpression: `${expression}, expiresAt = :expires`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ":expires": this.expiresAt() },
        ...(condition ? { ConditionExpression: condition } : {}),
        ReturnValues: "ALL_NEW",
      }),
    );
    return toRecord(eventId, out.Attributes) ?? { eventId, slack: {} };
  }

  putSlack(eventId: string, target: WebhookName, message: SlackMessageLink): Promise<LinkRecord> {
    return this.update(
      eventId,
      "SET #m = if_not_exists(#m, :m)",
      { "#m": `slack_${target}` },
      { ":m": message },
    );
  }

  async putPermalink(eventId: string, target: WebhookName, permalink: string): Promise<LinkRecord> {
    return this.update(
      eventId,
      "SET #m.permalink = :p",
      { "#m": `slack_${target}` },
      { ":p": permalink },
      "attribute_exists(#m)",
    );
  }

  putNotion(eventId: string, page: NotionPageLink): Promise<LinkRecord> {
    return this.update(eventId, "SET #n = if_not_exists(#n, :n)", { "#n": "notion" }, { ":n": page });
  }

  async markSlackLinked(eventId: string, target: WebhookName): Promise<void> {
    await this.update(
      eventId,
      "SET #m.notionLinked = :t",
      { "#m": `slack_${target}` },
      { ":t": true },
      "attribute_exists(#m)",
    );
  }

  async markNotionLinked(eventId: string): Promise<void> {
    await this.update(
      eventId,
      "SET #n.slackLinked = :t",
      { "#n": "notion" },
      { ":t": true },
      "attribute_exists(#n)",
    );
  }
}
