/**
 * Job history in DynamoDB.
 *
 * Table: partition key `jobId` (S) — one item per run, so `get` is a GetItem and `put` is
 * idempotent with `attribute_not_exists(jobId)`. Time-range reads go through the global secondary
 * index `byMonth`: partition `monthKey` (S, `YYYY-MM` of finishedAt in UTC), sort `finishedKey`
 * (S, `<finishedAt as UTC ISO 8601 with ms>#<jobId>`), projection ALL. A week spans at most two
 * month partitions, so the weekly report is one or two Queries, never a Scan; newest first is
 * `ScanIndexForward: false`. Items expire through the TTL attribute `expiresAt` (epoch seconds).
 * The whole result is kept as JSON in `record`, so what is read back is exactly what was put.
 */
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError, ValidationError } from "../contract/errors";
import { parseBackupResult } from "../contract/events";
import type { HistoryPage, HistoryQuery, HistoryStore, JobRecord } from "./store";

export const HISTORY_INDEX = "byMonth";
export const HISTORY_TTL_ATTRIBUTE = "expiresAt";
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

/** The table as the infrastructure must create it (plus TTL on `expiresAt`). */
export function historyTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "jobId", AttributeType: "S" },
      { AttributeName: "monthKey", AttributeType: "S" },
      { AttributeName: "finishedKey", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "jobId", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      {
        IndexName: HISTORY_INDEX,
        KeySchema: [
          { AttributeName: "monthKey", KeyType: "HASH" },
          { AttributeName: "finishedKey", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/**
 * Puts an item into the history table once, keyed on `jobId`, expiring `retentionDays` after
 * `finished` (DynamoDB TTL): false when the key is already there (SNS or a retry delivered the same
 * run, drill or restore again). Backup runs, drills and restores all share this one rule.
 */
export async function putHistoryItemOnce(
  doc: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown> & { readonly jobId: string },
  finished: Date,
  retentionDays: number,
): Promise<boolean> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...item,
          [HISTORY_TTL_ATTRIBUTE]: Math.floor(finished.getTime() / 1000) + retentionDays * 86_400,
        },
        ConditionExpression: "attribute_not_exists(jobId)",
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export interface DynamoDbHistoryOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Days until DynamoDB's TTL removes a record. @default 400 */
  readonly retentionDays?: number;
  /** The clock; an open-ended list looks back retentionDays from it. */
  readonly now?: () => Date;
}

interface Cursor {
  /** Month partition the next page starts in. */
  m: string;
  /** ExclusiveStartKey within it, absent to start at the top of the month. */
  k?: Record<string, string>;
}

function isoUtc(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ValidationError(`${field} must be an ISO 8601 date-time`, [
      { field, problem: "must be an ISO 8601 date-time" },
    ]);
  return new Date(ms).toISOString();
}

function monthOf(isoUtcText: string): string {
  return isoUtcText.slice(0, 7);
}

function previousMonth(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Cursor;
    if (typeof value.m !== "string" || !/^\d{4}-\d{2}$/.test(value.m)) throw new Error("bad month");
    return value;
  } catch {
    throw new ValidationError("cursor is not valid", [
      { field: "cursor", problem: "must be a nextCursor returned by a previous page" },
    ]);
  }
}

export class DynamoDbHistoryStore implements HistoryStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionDays: number;
  private readonly now: () => Date;

  constructor(options: DynamoDbHistoryOptions) {
    if (!options.tableName)
      throw new ConfigError("HISTORY_TABLE is not set: the job history needs its table name");
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.retentionDays = options.retentionDays ?? 400;
    this.now = options.now ?? (() => new Date());
  }

  async put(record: JobRecord): Promise<boolean> {
    const valid = parseBackupResult(record);
    const finished = new Date(valid.finishedAt);
    const finishedUtc = finished.toISOString();
    return putHistoryItemOnce(
      this.doc,
      this.tableName,
      {
        jobId: valid.jobId,
        monthKey: monthOf(finishedUtc),
        finishedKey: `${finishedUtc}#${valid.jobId}`,
        type: valid.type,
        status: valid.status,
        record: JSON.stringify(valid),
      },
      finished,
      this.retentionDays,
    );
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { jobId } }));
    return out.Item ? (JSON.parse(String(out.Item.record)) as JobRecord) : undefined;
  }

  async list(query: HistoryQuery): Promise<HistoryPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE);
    const to = query.to === undefined ? undefined : isoUtc(query.to, "to");
    const from = isoUtc(
      query.from ?? new Date(this.now().getTime() - this.retentionDays * 86_400_000).toISOString(),
      "from",
    );
    const upper = to ?? "9999";
    const lastMonth = monthOf(from);
    let cursor: Cursor = query.cursor
      ? decodeCursor(query.cursor)
      : { m: monthOf(to ?? new Date(this.now().getTime() + 86_400_000).toISOString()) };
    const items: JobRecord[] = [];
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, string> = { ":from": from, ":to": upper };
    if (query.status) {
      filters.push("#status = :status");
      names["#status"] = "status";
      values[":status"] = query.status;
    }
    if (query.type) {
      filters.push("#type = :type");
      names["#type"] = "type";
      values[":type"] = query.type;
    }
    if (query.jobIdPrefix) {
      // A filter within the time range read anyway: a run's results lie after its start.
      filters.push("begins_with(#jobId, :jobIdPrefix)");
      names["#jobId"] = "jobId";
      values[":jobIdPrefix"] = query.jobIdPrefix;
    }
    while (items.length < limit && cursor.m >= lastMonth) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: HISTORY_INDEX,
          // `to` is exclusive: "<to>#jobId" sorts after "<to>", so BETWEEN leaves it out.
          KeyConditionExpression: "monthKey = :m AND finishedKey BETWEEN :from AND :to",
          ...(filters.length > 0
            ? { FilterExpression: filters.join(" AND "), ExpressionAttributeNames: names }
            : {}),
          ExpressionAttributeValues: { ...values, ":m": cursor.m },
          ScanIndexForward: false,
          // Evaluating at most what is still missing means every match of this page is taken,
          // so LastEvaluatedKey is an exact resume point.
          Limit: limit - items.length,
          ...(cursor.k ? { ExclusiveStartKey: cursor.k } : {}),
        }),
      );
      for (const item of out.Items ?? []) items.push(JSON.parse(String(item.record)) as JobRecord);
      cursor = out.LastEvaluatedKey
        ? { m: cursor.m, k: out.LastEvaluatedKey as Record<string, string> }
        : { m: previousMonth(cursor.m) };
    }
    const more = cursor.m >= lastMonth;
    return more ? { items, nextCursor: encodeCursor(cursor) } : { items };
  }
}
