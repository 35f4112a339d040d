import assert from "node:assert/strict";
import { Client, LogLevel } from "@notionhq/client";
import type { WeeklyReport } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { buildPayload } from "../runtime/slack/blocks";
import { formatMessage } from "../runtime/slack/messages";
import { publishWithChart } from "../runtime/reports";
import { chartData } from "../runtime/reports/chart";
import {
  ChartTooLargeError,
  NOTION_SINGLE_PART_MAX_BYTES,
  NotionChartUploader,
  notionChartUploaderFromEnv,
  slackChartUploaderFromEnv,
} from "../runtime/reports/upload";
import { readJobSettings } from "../runtime/settings/jobs";
import { type FakeNotionServer, startFakeNotion } from "./fakes/notion-server";
import { FakeSlack } from "./fakes/slack-server";
import { FAKE_BOT_TOKEN } from "./fakes/slack-web-api";
import { SEED_REPORT } from "./fixtures/events";
import { MemoryHistory } from "./support/memory-history";

const REPORT_TEXT = [
  "📊 1주차 백업 리포트",
  "",
  "총 실행: 42건",
  "성공: 40건",
  "실패: 2건",
  "성공률: ✅ 95.2%",
  "",
  "평균 실행 시간: 38초",
  "",
  "실패한 작업:",
  "• EBS: vol-old-123",
  "• RDS: db-test-456",
].join("\n");

describe("report chart uploads", function () {
  this.timeout(60_000);
  let notion: FakeNotionServer;

  before(async () => {
    notion = await startFakeNotion();
  });
  after(async () => {
    await notion.close();
  });
  beforeEach(() => {
    notion.reset();
    notion.databases.clear();
    notion.fileUploads.clear();
  });

  function client(): Client {
    return new Client({ auth: notion.token, baseUrl: notion.url, logLevel: LogLevel.ERROR, retry: false });
  }

  it("must create a single-part upload, send the PNG as multipart form data and return an uploaded id", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const id = await new NotionChartUploader(client().fileUploads).upload(png, "weekly-2024-11-03.png");
    const upload = notion.fileUploads.get(id);
    assert.equal(upload?.status, "uploaded");
    assert.equal(upload?.filename, "weekly-2024-11-03.png");
    assert.equal(upload?.contentType, "image/png");
    assert.deepEqual(upload?.bytes, png);
    assert.deepEqual(
      notion.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`POST /v1/file_uploads 200`, `POST /v1/file_uploads/${id}/send 200`],
    );
  });

  it("must refuse a chart over Notion's 5 MiB single-part limit of free workspaces before any request", async () => {
    const big = Buffer.alloc(NOTION_SINGLE_PART_MAX_BYTES + 1);
    await assert.rejects(
      new NotionChartUploader(client().fileUploads).upload(big, "big.png"),
      ChartTooLargeError,
    );
    assert.equal(notion.requests.length, 0);
  });

  it("must have the fake refuse what Notion refuses: a file over the workspace limit, a second send, an unsent upload in a block", async () => {
    const fileUploads = client().fileUploads;
    const created = await fileUploads.create({
      mode: "single_part",
      filename: "a.png",
      content_type: "image/png",
    });
    await assert.rejects(
      fileUploads.send({
        file_upload_id: created.id,
        file: { filename: "a.png", data: new Blob([new Uint8Array(5 * 1024 * 1024 + 1)]) },
      }),
      (error: { status?: number; code?: string }) =>
        error.status === 400 && error.code === "validation_error",
    );
    const once = await fileUploads.create({
      mode: "single_part",
      filename: "b.png",
      content_type: "image/png",
    });
    const small = { filename: "b.png", data: new Blob([new Uint8Array(8)]) };
    assert.equal((await fileUploads.send({ file_upload_id: once.id, file: small })).status, "uploaded");
    await assert.rejects(
      fileUploads.send({ file_upload_id: once.id, file: small }),
      (error: { status?: number }) => error.status === 400,
    );
    const db = notion.addDatabase();
    const writer = await createNotionLoggerFromEnv(
      { NOTION_TOKEN: notion.token, NOTION_DATABASE_ID: db.databaseId, NOTION_API_BASE_URL: notion.url },
      { requestsPerSecond: 0, retry: false, logger: createLogger({ level: "silent" }) },
    );
    // `created` was never sent (its only send was refused): no block may reference it.
    await assert.rejects(writer.log({ ...SEED_REPORT, chart: { notionFileUploadId: created.id } }));
    assert.equal(notion.pages(db.dataSourceId).length, 0);
  });

  it("must put the uploaded chart in the weekly report's page body through the Notion logger", async () => {
    const db = notion.addDatabase();
    const uploader = await notionChartUploaderFromEnv({
      NOTION_TOKEN: notion.token,
      NOTION_API_BASE_URL: notion.url,
    });
    assert.ok(uploader);
    const id = await uploader.upload(Buffer.from("png"), "weekly.png");
    const writer = await createNotionLoggerFromEnv(
      { NOTION_TOKEN: notion.token, NOTION_DATABASE_ID: db.databaseId, NOTION_API_BASE_URL: notion.url },
      { requestsPerSecond: 0, retry: false, logger: createLogger({ level: "silent" }) },
    );
    await writer.log({ ...SEED_REPORT, chart: { notionFileUploadId: id } });
    const [page] = notion.pages(db.dataSourceId);
    assert.deepEqual(
      page!.children.filter((b) => b.type === "image"),
      [{ object: "block", type: "image", image: { type: "file_upload", file_upload: { id } } }],
    );
    assert.equal(notion.fileUploads.get(id)?.attachedTo, 1);
  });

  it("must publish the report with the upload's id, and without a chart when the upload fails", async () => {
    const published: unknown[] = [];
    const deps = {
      settings: readJobSettings({}),
      history: new MemoryHistory(),
      publisher: {
        publish: async (event: unknown) => {
          published.push(event);
          return `message-${published.length}`;
        },
      },
      logger: createLogger({ level: "silent" }),
      now: () => new Date("2024-11-03T09:00:00+09:00"),
    };
    const built = { report: SEED_REPORT as WeeklyReport, chart: chartData([], []), title: "최근 8주 백업" };
    const uploader = new NotionChartUploader(client().fileUploads);
    const sent = await publishWithChart(deps, built, { notion: uploader });
    const id = sent.chart?.notionFileUploadId;
    assert.ok(id && notion.fileUploads.get(id)?.status === "uploaded");
    notion.failNext({ status: 503, count: 1 });
    const without = await publishWithChart(deps, built, { notion: uploader });
    assert.equal(without.chart, undefined);
    assert.deepEqual(published, [sent, SEED_REPORT]);
  });
});

describe("weekly report in webhook mode", () => {
  it("must keep the seed's text exact and add one sparkline block of the 8 weeks' success rates", () => {
    const rates = [0.6, 0.7, 0.8, 0.9, 1, null, 0.95, 40 / 42];
    const withTrend: WeeklyReport = { ...SEED_REPORT, recentSuccessRates: rates };
    assert.equal(formatMessage(withTrend), REPORT_TEXT);
    const before = buildPayload(SEED_REPORT);
    const after = buildPayload(withTrend);
    assert.equal(after.text, before.text);
    assert.equal(after.blocks.length, before.blocks.length + 1);
    assert.deepEqual(
      after.blocks.filter((b) => !before.blocks.some((o) => JSON.stringify(o) === JSON.stringify(b))),
      [{ type: "context", elements: [{ type: "mrkdwn", text: "성공률 추이 (최근 8주): ▅▆▇██·██" }] }],
    );
  });
});

describe("weekly report chart in bot mode", function () {
  this.timeout(30_000);
  let slack: FakeSlack;

  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());

  it("must share the PNG in the reports channel through files.getUploadURLExternal / completeUploadExternal", async () => {
    const main = slack.api.addChannel("devops-backup");
    const reports = slack.api.addChannel("devops-reports");
    const uploader = await slackChartUploaderFromEnv({
      SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
      SLACK_BACKUP_CHANNEL: main,
      SLACK_REPORTS_CHANNEL: reports,
      SLACK_API_URL: slack.apiUrl,
    });
    assert.ok(uploader);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7]);
    await uploader.uploadFile({
      channel: "reports",
      filename: "weekly.png",
      title: "최근 8주 백업",
      data: png,
    });
    const [upload, ...rest] = slack.api.uploads();
    assert.deepEqual(rest, []);
    assert.equal(upload?.channel, reports);
    assert.equal(upload?.filename, "weekly.png");
    assert.equal(upload?.title, "최근 8주 백업");
    assert.deepEqual(upload?.bytes, png);
  });

  it("must have no Slack uploader without a bot token (webhook mode shows the sparkline)", async () => {
    assert.equal(
      await slackChartUploaderFromEnv({ SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" }),
      undefined,
    );
  });
});
