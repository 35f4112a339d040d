/**
 * The job history table's key schema comes from the runtime that reads and writes it
 * (runtime/history-dynamodb.ts `historyTableDefinition`): one place to change, and the Store
 * component cannot drift from the code. This maps DynamoDB's CreateTable shape to Pulumi's.
 */
import { HISTORY_TTL_ATTRIBUTE, historyTableDefinition } from "../runtime/history/dynamodb";

export interface HistoryTableSchema {
  readonly hashKey: string;
  readonly rangeKey?: string;
  readonly attributes: { readonly name: string; readonly type: string }[];
  readonly globalSecondaryIndexes: {
    readonly name: string;
    readonly hashKey: string;
    readonly rangeKey?: string;
    readonly projectionType: string;
  }[];
  /** Epoch-seconds attribute after which DynamoDB deletes the item. */
  readonly ttlAttribute: string;
}

function keyOf(
  schema: readonly { AttributeName?: string; KeyType?: string }[] | undefined,
  type: "HASH" | "RANGE",
): string | undefined {
  return schema?.find((k) => k.KeyType === type)?.AttributeName;
}

export function historyTableSchema(): HistoryTableSchema {
  const definition = historyTableDefinition("history");
  const hashKey = keyOf(definition.KeySchema, "HASH");
  if (!hashKey) throw new Error("runtime/history-dynamodb.ts: the history table has no partition key");
  const rangeKey = keyOf(definition.KeySchema, "RANGE");
  return {
    hashKey,
    ...(rangeKey ? { rangeKey } : {}),
    attributes: (definition.AttributeDefinitions ?? []).map((a) => ({
      name: a.AttributeName ?? "",
      type: a.AttributeType ?? "S",
    })),
    globalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => {
      const indexHash = keyOf(index.KeySchema, "HASH");
      const indexRange = keyOf(index.KeySchema, "RANGE");
      if (!index.IndexName || !indexHash)
        throw new Error("runtime/history-dynamodb.ts: an index lacks a name or key");
      return {
        name: index.IndexName,
        hashKey: indexHash,
        ...(indexRange ? { rangeKey: indexRange } : {}),
        projectionType: index.Projection?.ProjectionType ?? "ALL",
      };
    }),
    ttlAttribute: HISTORY_TTL_ATTRIBUTE,
  };
}
