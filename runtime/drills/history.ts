/**
 * Drills in the job history table, beside the backup results but out of their way: a drill item's
 * key is `drill#<drillId>` and its month partition `drill#YYYY-MM`, so the results' queries (which
 * read the `YYYY-MM` partitions of the `byMonth` index) never see a drill, and the weekly report
 * reads a week's drills with one or two Queries of their own.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbClient } from "../aws/clients";
import { DrillSchema, type Drill, type DrillSummary } from "../contract/events";
import { HISTORY_INDEX, putHistoryItemOnce } from "../history/dynamodb";
import type { JobSettings } from "../settings/jobs";
import type { Logger } from "../logging/logger";
import { messageOf } from "../jobs/result";
import { drillFailureMessage } from "./outcome";

export interface DrillHistory {
  /** Records a drill; false when one with its id is already recorded. */
  put(drill: Drill): Promise<boolean>;
  /** Drills that finished in [from, to), newest first. */
  list(from: Date, to: Date): Promise<Drill[]>;
}

const PREFIX = "drill#";

function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
  const first = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor >= first) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() - 1);
  }
  return months;
}

export class DynamoDbDrillHistory implements DrillHistory {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays = 400,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async put(drill: Drill): Promise<boolean> {
    const valid = DrillSchema.parse(drill);
    const finished = new Date(valid.finishedAt);
    const finishedUtc = finished.toISOString();
    return putHistoryItemOnce(
      this.doc,
      this.tableName,
      {
        jobId: `${PREFIX}${valid.drillId}`,
        monthKey: `${PREFIX}${finishedUtc.slice(0, 7)}`,
        finishedKey: `${finishedUtc}#${valid.drillId}`,
        status: valid.status,
        record: JSON.stringify(valid),
      },
      finished,
      this.retentionDays,
    );
  }

  async list(from: Date, to: Date): Promise<Drill[]> {
    const drills: Drill[] = [];
    for (const month of monthsBetween(from, to)) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: HISTORY_INDEX,
            KeyConditionExpression: "monthKey = :m AND finishedKey BETWEEN :from AND :to",
            ExpressionAttributeValues: {
              ":m": `${PREFIX}${month}`,
              ":from": from.toISOString(),
              // `to` is exclusive: "<to>#id" sorts after "<to>".
              ":to": to.toISOString(),
            },
            ScanIndexForward: false,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) drills.push(JSON.parse(String(item.record)) as Drill);
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return drills;
  }
}

/**
 * The weekly report's "복구 테스트" section from the period's drills (newest first): the last
 * drill, its time to restore per resource, and every resource of the period that failed.
 */
export function summarizeDrills(drills: readonly Drill[]): DrillSummary {
  const sorted = [...drills].sort((a, b) => Date.parse(b.finishedAt) - Date.parse(a.finishedAt));
  const last = sorted[0];
  return {
    drills: sorted.length,
    ...(last ? { lastDrillId: last.drillId, lastDrillAt: last.startedAt, lastStatus: last.status } : {}),
    restoreTimes: (last?.resources ?? []).flatMap((r) =>
      r.secondsToRestore === undefined
        ? []
        : [{ type: r.type, resource: r.resource, seconds: r.secondsToRestore }],
    ),
    failures: sorted.flatMap((d) =>
      d.resources
        .filter((r) => r.status === "FAILED")
        .map((r) => ({
          drillId: d.drillId,
          type: r.type,
          resource: r.resource,
          message: drillFailureMessage(r),
        })),
    ),
  };
}

/** The drill history beside the job history, when the table is configured. */
export function defaultDrillHistory(settings: JobSettings): DrillHistory | undefined {
  return settings.historyTable
    ? new DynamoDbDrillHistory(createDynamoDbClient(), settings.historyTable, settings.historyRetentionDays)
    : undefined;
}

/**
 * The weekly report's drill section for [start, end): present when drills ran in the period, or
 * when drills are switched on (DRILL_ENABLED) so that a week without one shows as such. A drill
 * history that cannot be read leaves the section out with a warning: the report itself still goes.
 */
export async function drillSection(
  drills: DrillHistory | undefined,
  period: { readonly start: Date; readonly end: Date },
  enabled: boolean,
  logger: Logger,
): Promise<DrillSummary | undefined> {
  if (!drills) return undefined;
  try {
    const found = await drills.list(period.start, period.end);
    return found.length > 0 || enabled ? summarizeDrills(found) : undefined;
  } catch (error) {
    logger.warn(
      { err: messageOf(error) },
      "drill history unreadable: weekly report goes without its 복구 테스트 section",
    );
    return undefined;
  }
}
