import assert from "node:assert/strict";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { BackupResult } from "../runtime/contract/events";
import { DynamoDbHistoryStore } from "../runtime/history/dynamodb";
import { DynamoDbLinkStore } from "../runtime/links/dynamodb";
import { SEED_SUCCESS } from "./fixtures/events";
import { createHistoryTable, TABLE } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

describe("bot mode links in the history table (DynamoDB)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let client: DynamoDBClient;
  let links: DynamoDbLinkStore;
  const now = new Date("2024-11-04T00:00:00Z");

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    await createHistoryTable();
    client = new DynamoDBClient({});
    links = new DynamoDbLinkStore({ client, tableName: TABLE, now: () => now });
  });

  it("must keep the first message recorded for a channel when a redelivery records another", async () => {
    await links.putSlack("job-1", "main", { channel: "C1", ts: "1.000001", notionLinked: false });
    const after = await links.putSlack("job-1", "main", {
      channel: "C1",
      ts: "2.000002",
      notionLinked: false,
    });
    assert.equal(after.slack.main?.ts, "1.000001");
    assert.equal((await links.get("job-1"))?.slack.main?.ts, "1.000001");
  });

  it("must answer the whole record on each write, so the second delivery sees both halves", async () => {
    const first = await links.putNotion("job-2", {
      pageId: "p-1",
      url: "https://www.notion.so/p1",
      slackLinked: false,
    });
    assert.equal(first.slack.main, undefined);
    const second = await links.putSlack("job-2", "main", { channel: "C1", ts: "1.1", notionLinked: false });
    assert.deepEqual(second.notion, { pageId: "p-1", url: "https://www.notion.so/p1", slackLinked: false });
    await links.putPermalink("job-2", "main", "https://drox.slack.com/archives/C1/p11");
    await links.markSlackLinked("job-2", "main");
    await links.markNotionLinked("job-2");
    assert.deepEqual(await links.get("job-2"), {
      eventId: "job-2",
      slack: {
        main: {
          channel: "C1",
          ts: "1.1",
          notionLinked: true,
          permalink: "https://drox.slack.com/archives/C1/p11",
        },
      },
      notion: { pageId: "p-1", url: "https://www.notion.so/p1", slackLinked: true },
    });
  });

  it("must key links apart from runs and keep them out of the history's lists, expiring after 35 days", async () => {
    const history = new DynamoDbHistoryStore({ client, tableName: TABLE, now: () => now });
    const run: BackupResult = { ...SEED_SUCCESS, jobId: "job-3" };
    await history.put(run);
    await links.putSlack("job-3", "main", { channel: "C1", ts: "1.1", notionLinked: false });
    assert.deepEqual(await history.get("job-3"), run);
    const listed = await history.list({ from: "2024-11-01T00:00:00Z", to: "2024-11-30T00:00:00Z" });
    assert.deepEqual(
      listed.items.map((r) => r.jobId),
      ["job-3"],
    );
    const raw = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { jobId: { S: "link#job-3" } } }),
    );
    assert.equal(raw.Item?.expiresAt?.N, String(now.getTime() / 1000 + 35 * 86_400));
  });

  it("must not invent a message when marking one that was never recorded", async () => {
    await assert.rejects(links.markSlackLinked("job-4", "alerts"), {
      name: "ConditionalCheckFailedException",
    });
    assert.equal(await links.get("job-4"), undefined);
  });
});
