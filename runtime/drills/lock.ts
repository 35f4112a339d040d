/**
 * One drill of each kind at a time, across every task that may start one (the weekly schedule, the
 * CLI, the HTTP service): a lease item per kind in the history table, taken with a conditional
 * PutItem and given back with a conditional DeleteItem. A lease ends by itself at the drill's
 * deadline plus the cleanup grace, so a task killed outright blocks the next drill no longer than
 * that; the leftovers it may have left are then swept by the next drill.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { DroxError } from "../contract/errors";
import type { DrillType } from "../contract/events";
import { HISTORY_TTL_ATTRIBUTE } from "../history/dynamodb";

/** A second drill of a kind already running: refused, not queued (it would double the cost). */
export class DrillBusyError extends DroxError {
  constructor(
    readonly type: DrillType,
    readonly holder: LockHolder,
  ) {
    super(
      `an ${type} restore drill is already running (drill ${holder.drillId}, started ${holder.since}, ` +
        `lease until ${holder.until}); this one was not started. Wait for it to finish, or for its ` +
        `lease to end if its task was killed.`,
      { retryable: false, statusCode: 409 },
    );
  }
}

export interface LockHolder {
  readonly drillId: string;
  /** ISO 8601. */
  readonly since: string;
  readonly until: string;
}

export interface DrillLock {
  /** Takes the kind's lease until `until`, or throws DrillBusyError naming who holds it. */
  acquire(type: DrillType, drillId: string, until: Date): Promise<void>;
  /** Gives the lease back if `drillId` still holds it. */
  release(type: DrillType, drillId: string): Promise<void>;
  /** Who holds the kind's lease now, if anyone (a lease past its end holds nothing). */
  current(type: DrillType): Promise<LockHolder | undefined>;
}

/** The lease items' key: outside the job id space (job ids never contain `#`). */
export function lockKey(type: DrillType): string {
  return `drill-lock#${type}`;
}

export class DynamoDbDrillLock implements DrillLock {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async acquire(type: DrillType, drillId: string, until: Date): Promise<void> {
    const now = this.now();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // No monthKey: the item stays out of the history index, so no history query sees it.
          Item: {
            jobId: lockKey(type),
            drillId,
            since: now.toISOString(),
            until: until.toISOString(),
            untilMs: until.getTime(),
            [HISTORY_TTL_ATTRIBUTE]: Math.ceil(until.getTime() / 1000),
          },
          ConditionExpression: "attribute_not_exists(jobId) OR untilMs < :now",
          ExpressionAttributeValues: { ":now": now.getTime() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new DrillBusyError(type, await this.holder(type));
    }
  }

  async release(type: DrillType, drillId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { jobId: lockKey(type) },
          ConditionExpression: "drillId = :me",
          ExpressionAttributeValues: { ":me": drillId },
        }),
      );
    } catch (error) {
      // Someone else's lease now (ours had ended): theirs to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async current(type: DrillType): Promise<LockHolder | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { jobId: lockKey(type) }, ConsistentRead: true }),
    );
    const untilMs: unknown = out.Item?.untilMs;
    if (!out.Item || (typeof untilMs === "number" && untilMs < this.now().getTime())) return undefined;
    return this.holderOf(out.Item);
  }

  private async holder(type: DrillType): Promise<LockHolder> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { jobId: lockKey(type) }, ConsistentRead: true }),
    );
    return this.holderOf(out.Item ?? {});
  }

  private holderOf(item: Record<string, unknown>): LockHolder {
    const text = (value: unknown) => (typeof value === "string" ? value : "unknown");
    return { drillId: text(item.drillId), since: text(item.since), until: text(item.until) };
  }
}
