import assert from "node:assert/strict";
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { BackupResult } from "../runtime/contract/events";
import { DynamoDbHistoryStore, HISTORY_INDEX, HISTORY_TTL_ATTRIBUTE } from "../runtime/history/dynamodb";
import { ValidationError } from "../runtime/contract/errors";
import { createHistoryTable, TABLE } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

function record(i: number, finishedAt: string, overrides: Partial<BackupResult> = {}): BackupResult {
  const finished = Date.parse(finishedAt);
  return {
    schema: "backup.result.v1",
    jobId: `job-${String(i).padStart(4, "0")}`,
    type: "EBS",
    resource: `vol-${i}`,
    status: "SUCCEEDED",
    startedAt: new Date(finished - 30_000).toISOString(),
    finishedAt,
    durationSeconds: 30,
    ...overrides,
  };
}

describe("DynamoDB job history", function () {
  this.timeout(120_000);
  let moto: Moto;
  let client: DynamoDBClient;
  let store: DynamoDbHistoryStore;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    await createHistoryTable();
    client = new DynamoDBClient({});
    store = new DynamoDbHistoryStore({
      client,
      tableName: TABLE,
      retentionDays: 30,
      now: () => new Date("2024-11-10T00:00:00Z"),
    });
  });

  it("must define the table with jobId key, the byMonth index and keep records until their TTL", async () => {
    const table = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    assert.deepEqual(table.Table?.KeySchema, [{ AttributeName: "jobId", KeyType: "HASH" }]);
    assert.deepEqual(
      table.Table?.GlobalSecondaryIndexes?.map((g) => [
        g.IndexName,
        g.KeySchema?.map((k) => k.AttributeName),
      ]),
      [[HISTORY_INDEX, ["monthKey", "finishedKey"]]],
    );
    const r = record(1, "2024-11-03T17:00:00.000Z");
    assert.equal(await store.put(r), true);
    const raw = await client.send(new GetItemCommand({ TableName: TABLE, Key: { jobId: { S: r.jobId } } }));
    assert.equal(raw.Item?.[HISTORY_TTL_ATTRIBUTE]?.N, String(Date.parse(r.finishedAt) / 1000 + 30 * 86_400));
    assert.equal(raw.Item?.monthKey?.S, "2024-11");
    assert.equal(raw.Item?.finishedKey?.S, `2024-11-03T17:00:00.000Z#${r.jobId}`);
  });

  it("must put a job once and ignore a repeated put with the same job id", async () => {
    const first = record(1, "2024-11-03T17:00:00.000Z");
    assert.equal(await store.put(first), true);
    assert.equal(await store.put({ ...first, status: "FAILED", error: { message: "other" } }), false);
    assert.deepEqual(await store.get(first.jobId), first);
    assert.equal(await store.get("job-missing"), undefined);
  });

  it("must refuse a record that is not a valid result", async () => {
    await assert.rejects(
      store.put({ ...record(1, "2024-11-03T17:00:00.000Z"), status: "FAILED" }),
      ValidationError,
    );
  });

  it("must list a time range newest first with from inclusive and to exclusive, across months", async () => {
    await store.put(record(1, "2024-10-30T10:00:00.000Z"));
    await store.put(record(2, "2024-10-31T23:59:59.000Z"));
    await store.put(record(3, "2024-11-01T00:00:00.000Z"));
    await store.put(record(4, "2024-11-02T00:00:00.000Z"));
    await store.put(record(5, "2024-10-30T09:59:59.999Z"));
    const page = await store.list({ from: "2024-10-30T19:00:00+09:00", to: "2024-11-02T09:00:00+09:00" });
    assert.deepEqual(
      page.items.map((r) => r.jobId),
      ["job-0003", "job-0002", "job-0001"],
    );
    assert.equal(page.nextCursor, undefined);
  });

  it("must filter by status and type and page with a cursor without losing or repeating items", async () => {
    for (let i = 0; i < 25; i++) {
      const finishedAt = new Date(Date.parse("2024-10-25T00:00:00Z") + i * 3_600_000 * 11).toISOString();
      await store.put(
        record(i, finishedAt, {
          type: i % 2 === 0 ? "EBS" : "RDS",
          status: i % 3 === 0 ? "FAILED" : "SUCCEEDED",
          ...(i % 3 === 0 ? { error: { message: "boom" } } : {}),
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({
        from: "2024-10-01T00:00:00Z",
        type: "EBS",
        status: "FAILED",
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((r) => r.jobId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    const expected = [24, 18, 12, 6, 0].map((i) => `job-${String(i).padStart(4, "0")}`);
    assert.deepEqual(seen, expected);
  });

  it("must list only the job ids with a prefix (one run's results) across months and pages", async () => {
    const run = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
    const finished = [
      "2024-10-30T23:00:00Z",
      "2024-10-31T23:30:00Z",
      "2024-11-01T00:30:00Z",
      "2024-11-02T00:00:00Z",
    ];
    for (const [i, finishedAt] of finished.entries()) {
      await store.put(record(i, finishedAt, { jobId: `${run}-${i + 1}` }));
      // Other jobs in between, and one of another run whose id only shares the run id's start.
      await store.put(record(100 + i, finishedAt.replace(":00Z", ":01Z")));
      await store.put(record(200 + i, finishedAt, { jobId: `${run}0-${i + 1}` }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({
        from: "2024-10-30T00:00:00Z",
        jobIdPrefix: `${run}-`,
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((r) => r.jobId));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      [4, 3, 2, 1].map((n) => `${run}-${n}`),
    );
  });

  it("must read a week through the index with Query calls only, never a Scan", async () => {
    await store.put(record(1, "2024-10-31T12:00:00.000Z"));
    await store.put(record(2, "2024-11-01T12:00:00.000Z"));
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "countCommands" },
    );
    const page = await store.list({ from: "2024-10-27T00:00:00+09:00", to: "2024-11-03T00:00:00+09:00" });
    assert.equal(page.items.length, 2);
    assert.deepEqual([...new Set(sent)], ["QueryCommand"]);
    assert.equal(sent.length, 2, "one Query per month partition");
  });

  it("must reject a cursor it did not issue", async () => {
    await assert.rejects(store.list({ cursor: "not-a-cursor" }), ValidationError);
  });
});
