/**
 * Every restore is recorded and published, like a backup run: in the history table (when
 * HISTORY_TABLE is set) and on the events topic (when EVENTS_TOPIC_ARN is set), so Slack and Notion
 * show who restored what. Restore records share the history table but carry no `monthKey` /
 * `finishedKey`: the time index is sparse, so they never appear among the backup runs that the
 * weekly report, `/api/backups/jobs` and `drox-backup history` read.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DroxError } from "../contract/errors";
import { parseEvent, type RestoreEvent } from "../contract/events";
import { putHistoryItemOnce } from "../history/dynamodb";
import type { EventPublisher } from "../publishing/publisher";
import { messageOf } from "../jobs/result";

export const RESTORE_RECORD_KIND = "restore";

export interface RestoreHistory {
  /** Records a restore once; false when its id was already recorded. */
  put(event: RestoreEvent): Promise<boolean>;
}

export class DynamoDbRestoreHistory implements RestoreHistory {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async put(event: RestoreEvent): Promise<boolean> {
    const valid = parseEvent(event);
    return putHistoryItemOnce(
      this.doc,
      this.tableName,
      {
        jobId: event.restoreId,
        kind: RESTORE_RECORD_KIND,
        type: event.type,
        status: event.status,
        record: JSON.stringify(valid),
      },
      new Date(event.finishedAt),
      this.retentionDays,
    );
  }
}

/** Where a restore goes once it is over; either may be absent (not configured). */
export interface RestoreSinks {
  readonly history?: RestoreHistory;
  readonly publisher?: EventPublisher;
}

/** Thrown after the restore itself is over: it happened, but Slack/Notion/history may not know. */
export class RestoreDeliveryError extends DroxError {
  constructor(
    readonly event: RestoreEvent,
    readonly failures: readonly string[],
  ) {
    super(`restore ${event.restoreId} could not be recorded or published: ${failures.join("; ")}`, {
      retryable: true,
    });
  }
}

/** Records and publishes; throws RestoreDeliveryError naming what failed, after trying both. */
export async function recordRestore(sinks: RestoreSinks, event: RestoreEvent): Promise<void> {
  const failures: string[] = [];
  if (sinks.history) {
    try {
      await sinks.history.put(event);
    } catch (error) {
      failures.push(`history: ${messageOf(error)}`);
    }
  }
  if (sinks.publisher) {
    try {
      await sinks.publisher.publish(event);
    } catch (error) {
      failures.push(`publish: ${messageOf(error)}`);
    }
  }
  if (failures.length > 0) throw new RestoreDeliveryError(event, failures);
}
