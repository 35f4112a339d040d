/**
 * The service as main.ts wires it (startService: env → real Slack, Notion, DynamoDB history, SNS
 * publisher, backup jobs), over real HTTP, with the fake Slack and Notion servers and moto behind
 * it. Published events are read back from an SQS queue subscribed to the topic; delivering them
 * goes through the same parse → notifier/logger steps as the Lambda handlers (built fresh from the
 * same env here, since the handlers memoise their clients per process).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { parseEventJson, type BackupResult } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { startService, type RunningService } from "../runtime/server/main";
import { NOTION_CHECKS, SLACK_CHECKS } from "../runtime/server/troubleshooting";
import { createSlackNotifierFromEnv } from "../runtime/slack";
import { FakeSlack } from "./fakes/slack-server";
import { startFakeNotion, type FakeDatabase, type FakeNotionServer } from "./fakes/notion-server";
import { SEED_SUCCESS } from "./fixtures/events";
import { createHistoryTable, createTopicWithQueue, drainQueue, type AwsFixture } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

const API_TOKEN = "sentinel-api-token-7c1e9b3d5f2a4e60";
const HOOK = "SentinelWebhookSecret9f3a7b";

describe("HTTP service wired from the environment (fakes + moto)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let fixture: AwsFixture;
  let slack: FakeSlack;
  let notion: FakeNotionServer;
  let database: FakeDatabase;
  let service: RunningService;
  let env: NodeJS.ProcessEnv;
  let volumeId: string;
  let otherVolumeId: string;
  const logs: string[] = [];
  const answers: string[] = [];

  async function api(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(service.url + path, {
      ...init,
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    const text = await res.text();
    answers.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  const post = (path: string, body?: unknown) =>
    api(path, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  before(async () => {
    moto = await useMoto();
    await moto.reset();
    await createHistoryTable();
    fixture = await createTopicWithQueue(moto);
    const ec2 = new EC2Client({});
    const volume = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, Encrypted: true }),
    );
    volumeId = volume.VolumeId!;
    const other = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, Encrypted: true }),
    );
    otherVolumeId = other.VolumeId!;
    slack = await FakeSlack.start();
    notion = await startFakeNotion();
    database = notion.addDatabase();
    env = {
      ...process.env,
      ...fixture.env,
      API_TOKEN,
      SLACK_WEBHOOK_URL: slack.webhookUrl(HOOK),
      NOTION_TOKEN: notion.token,
      NOTION_DATABASE_ID: database.databaseId,
      NOTION_API_BASE_URL: notion.url,
      EBS_VOLUME_IDS: `${volumeId},${otherVolumeId}`,
      PORT: "0",
      HOST: "127.0.0.1",
    };
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    service = await startService(env, createLogger({ level: "debug", destination }));
  });

  after(async () => {
    await service?.close();
    await slack?.close();
    await notion?.close();
  });

  beforeEach(async () => {
    slack.reset();
    await drainQueue(fixture);
  });

  it("must answer /health without a token", async () => {
    const res = await fetch(`${service.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });

  it("must reject /api/* without the right token", async () => {
    const none = await fetch(`${service.url}/api/backups/jobs`);
    assert.equal(none.status, 401);
    const wrong = await api("/api/backups/jobs", { headers: { authorization: `Bearer ${API_TOKEN}x` } });
    assert.equal(wrong.status, 401);
  });

  it("must post the test message to the main webhook through the Slack module", async () => {
    const answer = await post("/api/test/slack");
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const messages = slack.messages(HOOK);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!.text ?? "", /테스트/);
  });

  it("must say what to check when Slack no longer knows the webhook", async () => {
    slack.disable(HOOK, 404, "no_service");
    const answer = await post("/api/test/slack");
    assert.equal(answer.status, 502);
    const error = answer.body.error as { code: string; message: string; checks: string[] };
    assert.equal(error.code, "SLACK_TEST_FAILED");
    assert.match(error.message, /HTTP 404/);
    assert.deepEqual(error.checks, [...SLACK_CHECKS]);
  });

  it("must write the test page into the Notion database", async () => {
    const answer = await post("/api/test/notion");
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const pages = notion.pages(database.dataSourceId);
    assert.equal(pages.length, 1);
    assert.equal(answer.body.pageId, pages[0]!.id);
  });

  it("must point at the connection when the database is not shared with the integration", async () => {
    database.shared = false;
    try {
      const answer = await post("/api/test/notion");
      assert.equal(answer.status, 502, JSON.stringify(answer.body));
      const error = answer.body.error as { code: string; checks: string[] };
      assert.equal(error.code, "NOTION_TEST_FAILED");
      assert.deepEqual(error.checks.slice(0, 2), [NOTION_CHECKS[2], NOTION_CHECKS[1]]);
    } finally {
      database.shared = true;
    }
  });

  it("must record an external result in DynamoDB and publish it to SNS exactly once", async () => {
    const local: BackupResult = {
      ...SEED_SUCCESS,
      jobId: "hdd-nas01-20241104",
      type: "LOCAL_HDD",
      resource: "nas-01:/backup",
      metrics: { filesCopied: 1000, filesTotal: 1000, sizeBytes: 5 * 1024 ** 3 },
    };
    const first = await post("/api/backups/report", local);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.duplicate, false);
    const second = await post("/api/backups/report", local);
    assert.deepEqual([second.status, second.body], [200, { jobId: local.jobId, duplicate: true }]);

    const published = await drainQueue(fixture);
    assert.equal(published.length, 1);
    assert.deepEqual(JSON.parse(published[0]!.Message), local);

    const listed = await api("/api/backups/jobs?type=LOCAL_HDD&from=2024-11-01T00:00:00%2B09:00");
    assert.deepEqual(listed.body.items, [local]);
  });

  it("must reject an invalid external result with the field and the problem", async () => {
    const answer = await post("/api/backups/report", { ...SEED_SUCCESS, jobId: "bad id with spaces" });
    assert.equal(answer.status, 400);
    assert.deepEqual((answer.body.error as { issues: unknown }).issues, [
      { field: "jobId", problem: "may only contain letters, digits and . _ : / @ + = -" },
    ]);
    assert.deepEqual(await drainQueue(fixture), []);
  });

  it("must run an EBS backup in the background whose result reaches Slack and Notion", async () => {
    const started = await post("/api/backups/run", { type: "EBS", resource: volumeId });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = String(started.body.runId);
    const runPath = `/api/backups/runs/${runId}`;
    assert.equal(started.body.location, runPath);
    assert.deepEqual(started.body.jobIds, [`${runId}-1`]);
    let state = (await api(runPath)).body;
    for (let i = 0; i < 300 && state.status === "RUNNING"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await api(runPath)).body;
    }
    assert.equal(state.status, "FINISHED", JSON.stringify(state));
    const [summary] = state.results as { jobId: string; resource: string; status: string }[];
    assert.equal(summary?.resource, volumeId);
    assert.equal(summary?.status, "SUCCEEDED");
    // The job id answered at once is the one in history, Slack and Notion.
    assert.equal(summary?.jobId, `${runId}-1`);

    // What the Lambdas subscribed to the topic would receive.
    const published = await drainQueue(fixture);
    assert.equal(published.length, 1);
    const event = parseEventJson(published[0]!.Message);
    assert.equal(event.schema === "backup.result.v1" && event.jobId, summary?.jobId);
    const logger = createLogger({ level: "silent" });
    await (await createSlackNotifierFromEnv(env, { logger })).notify(event);
    const logged = await (await createNotionLoggerFromEnv(env, { logger })).log(event);

    const [message] = slack.messages(HOOK);
    assert.match(message?.text ?? "", new RegExp(`^✅ 백업 작업 성공\n\n타입: EBS\n리소스: ${volumeId}\n`));
    assert.match(message?.text ?? "", new RegExp(`Job ID: ${summary?.jobId}`));
    const page = notion.pages(database.dataSourceId).find((p) => p.id === logged.pageId);
    assert.ok(page, "the Notion page was created");
    assert.match(JSON.stringify(page.properties), new RegExp(`EBS 백업: ${volumeId}`));

    const history = await api(`/api/backups/jobs?type=EBS&status=SUCCEEDED`);
    assert.deepEqual(
      (history.body.items as BackupResult[]).map((r) => r.jobId),
      [summary?.jobId],
    );
  });

  it("must name every result of a multi-target run after its run id, and answer for it on another task", async () => {
    const started = await post("/api/backups/run", { type: "EBS" });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = String(started.body.runId);
    assert.equal("jobIds" in started.body, false);
    // A second task of the service: same environment, its own process state.
    const other = await startService(env, createLogger({ level: "silent" }));
    try {
      const ask = async (base: string) => {
        const res = await fetch(`${base}/api/backups/runs/${runId}`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      let elsewhere = await ask(other.url);
      for (
        let i = 0;
        i < 300 && (elsewhere.status !== 200 || (elsewhere.body.results as unknown[]).length < 2);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
        elsewhere = await ask(other.url);
      }
      const expected = [
        { jobId: `${runId}-1`, type: "EBS", resource: volumeId, status: "SUCCEEDED" },
        { jobId: `${runId}-2`, type: "EBS", resource: otherVolumeId, status: "SUCCEEDED" },
      ];
      assert.deepEqual(elsewhere.body, {
        runId,
        status: "RECORDED",
        results: expected,
        location: `/api/backups/runs/${runId}`,
      });
      let here = await ask(service.url);
      for (let i = 0; i < 300 && here.body.status === "RUNNING"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        here = await ask(service.url);
      }
      assert.equal(here.body.status, "FINISHED");
      assert.deepEqual(here.body.results, expected);

      const listed = await api(`/api/backups/jobs?runId=${runId}`);
      assert.deepEqual((listed.body.items as BackupResult[]).map((r) => r.jobId).sort(), [
        `${runId}-1`,
        `${runId}-2`,
      ]);
      const published = (await drainQueue(fixture)).map((m) => parseEventJson(m.Message));
      assert.deepEqual(published.map((e) => (e.schema === "backup.result.v1" ? e.jobId : e.schema)).sort(), [
        `${runId}-1`,
        `${runId}-2`,
      ]);
    } finally {
      await other.close();
    }
  });

  it("must page through the history with the cursor", async () => {
    const base = { ...SEED_SUCCESS, type: "LOCAL_HDD" as const, resource: "nas-02" };
    for (const day of ["05", "06", "07"]) {
      const result = {
        ...base,
        jobId: `hdd-page-${day}`,
        startedAt: `2024-11-${day}T02:00:00+09:00`,
        finishedAt: `2024-11-${day}T02:00:45+09:00`,
      };
      assert.equal((await post("/api/backups/report", result)).status, 201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const query = `/api/backups/jobs?type=LOCAL_HDD&from=2024-11-05T00:00:00%2B09:00&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api(query);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...(page.body.items as BackupResult[]).map((r) => r.jobId));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    assert.deepEqual(seen, ["hdd-page-07", "hdd-page-06", "hdd-page-05"]);
  });

  it("must build and publish the weekly report from the history", async () => {
    const answer = await post("/api/reports/weekly", { week: "2024-11-10" });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const report = answer.body.report as { schema: string; total: number; periodStart: string };
    assert.equal(report.schema, "backup.report.v1");
    // The seven days before 2024-11-10 (Asia/Seoul) hold the four LOCAL_HDD results reported above.
    assert.equal(report.periodStart, "2024-11-03T00:00:00+09:00");
    assert.equal(report.total, 4);
    const published = await drainQueue(fixture);
    assert.equal(published.length, 1);
    assert.deepEqual(JSON.parse(published[0]!.Message), report);
  });

  it("must never put the API token, the webhook or the Notion token in a response or a log line", () => {
    const secrets = [API_TOKEN, HOOK, slack.webhookUrl(HOOK), notion.token];
    assert.ok(logs.length > 10, "the service logged");
    for (const secret of secrets) {
      assert.deepEqual(
        logs.filter((line) => line.includes(secret)),
        [],
        "log lines with a secret",
      );
      assert.deepEqual(
        answers.filter((text) => text.includes(secret)),
        [],
        "responses with a secret",
      );
    }
  });
});
