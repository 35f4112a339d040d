/**
 * How a drill is reported: the event contract, the Slack text and blocks, where Slack sends it,
 * the Notion row and body, and the weekly report's "복구 테스트" section (whose Slack text must stay
 * the seed's). Expected texts come from issue 10 and the seed's style, not from the code.
 */
import assert from "node:assert/strict";
import { eventId, parseEvent, type Drill, type WeeklyReport } from "../runtime/contract/events";
import { drillSection, summarizeDrills, type DrillHistory } from "../runtime/drills/history";
import { createLogger } from "../runtime/logging/logger";
import { pageBlocks } from "../runtime/notion/blocks";
import { mapEvent } from "../runtime/notion/mapping";
import { blocksTextLength, buildPayload, MAX_BLOCKS, MAX_BLOCKS_TEXT } from "../runtime/slack/blocks";
import { formatMessage } from "../runtime/slack/messages";
import { channelsFor } from "../runtime/slack/routing";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { startFakeNotion } from "./fakes/notion-server";
import { SEED_REPORT } from "./fixtures/events";

const DRILL_OK: Drill = {
  schema: "backup.drill.v1",
  drillId: "01JDRILL0000000000000000AB",
  startedAt: "2024-11-09T14:00:00.000Z",
  finishedAt: "2024-11-09T14:20:00.000Z",
  status: "SUCCEEDED",
  resources: [
    {
      type: "EBS",
      resource: "vol-123456",
      snapshotId: "snap-789",
      restoredId: "vol-0abc",
      status: "SUCCEEDED",
      secondsToRestore: 724,
      findings: [],
    },
    {
      type: "RDS",
      resource: "db-instance-1",
      snapshotId: "drox-db-instance-1-01jc",
      restoredId: "drox-drill-0000000000ab-1",
      status: "SUCCEEDED",
      secondsToRestore: 3725,
      findings: [],
    },
    {
      type: "S3",
      resource: "app-data",
      sample: { objects: 100, bytes: 5_000_000, sourceObjects: 12_000 },
      status: "SUCCEEDED",
      findings: [],
    },
  ],
  findings: [],
  verification: { dbVerified: true, securityCheck: true },
};

const DRILL_FAILED: Drill = {
  ...DRILL_OK,
  drillId: "01JDRILL0000000000000000CD",
  status: "FAILED",
  resources: [
    DRILL_OK.resources[0]!,
    {
      type: "S3",
      resource: "app-data",
      sample: { objects: 100, bytes: 5_000_000, sourceObjects: 12_000 },
      status: "FAILED",
      findings: [
        {
          severity: "CRITICAL",
          resource: "s3://backup/app-data/d.bin",
          message: "missing from the backup (source s3://app-data/d.bin)",
        },
      ],
    },
  ],
  findings: [
    {
      severity: "WARNING",
      resource: "vol-0old",
      message: "left behind by drill 01JOLD past its deadline; deleted now",
    },
  ],
  verification: { dbVerified: false, securityCheck: true },
};

describe("Restore drill reporting", () => {
  it("must validate backup.drill.v1 and key it on the drill id", () => {
    assert.deepEqual(parseEvent(DRILL_OK), DRILL_OK);
    assert.equal(eventId(DRILL_OK), DRILL_OK.drillId);
    assert.throws(
      () => parseEvent({ ...DRILL_OK, resources: [{ ...DRILL_OK.resources[0], type: "LOCAL_HDD" }] }),
      /resources\.0\.type/,
    );
    assert.throws(() => parseEvent({ ...DRILL_OK, finishedAt: "2024-11-09T13:00:00.000Z" }), /finishedAt/);
  });

  it("must write the Slack text with each resource, its time to restore and the findings", () => {
    assert.equal(
      formatMessage(DRILL_OK),
      [
        "🧪 복구 테스트 완료",
        "",
        "Drill ID: 01JDRILL0000000000000000AB",
        "시각: 2024-11-09 23:00:00",
        "",
        "복구 결과:",
        "• ✅ EBS: vol-123456 (snap-789) — 복구 시간 12분 4초",
        "• ✅ RDS: db-instance-1 (drox-db-instance-1-01jc) — 복구 시간 1시간 2분 5초",
        "• ✅ S3: app-data — 표본 100/12000개 비교",
      ].join("\n"),
    );
    assert.equal(
      formatMessage(DRILL_FAILED),
      [
        "🧪 복구 테스트 실패",
        "",
        "Drill ID: 01JDRILL0000000000000000CD",
        "시각: 2024-11-09 23:00:00",
        "",
        "복구 결과:",
        "• ✅ EBS: vol-123456 (snap-789) — 복구 시간 12분 4초",
        "• ❌ S3: app-data — 표본 100/12000개 비교",
        "",
        "발견 사항: 2건",
        "",
        "발견 사항 목록:",
        "• [경고] vol-0old: left behind by drill 01JOLD past its deadline; deleted now",
        "• [심각] s3://backup/app-data/d.bin: missing from the backup (source s3://app-data/d.bin)",
        "",
        "⚠️ 즉시 확인이 필요합니다.",
      ].join("\n"),
    );
  });

  it("must send failed drills to the alerts channel too, and others to the main channel only", () => {
    assert.deepEqual(channelsFor(DRILL_FAILED), ["main", "alerts"]);
    assert.deepEqual(channelsFor(DRILL_OK), ["main"]);
    assert.deepEqual(channelsFor({ ...DRILL_OK, status: "WARNING" }), ["main"]);
  });

  it("must keep the blocks of a huge drill within Slack's limits with a true count of what was cut", () => {
    const resources = Array.from({ length: 300 }, (_, i) => ({
      ...DRILL_FAILED.resources[1]!,
      resource: `bucket-${i}-${"x".repeat(200)}`,
      findings: [{ severity: "CRITICAL" as const, resource: `s3://b/${i}`, message: "y".repeat(400) }],
    }));
    const payload = buildPayload({ ...DRILL_FAILED, resources });
    assert.ok(payload.blocks.length <= MAX_BLOCKS);
    assert.ok(blocksTextLength(payload.blocks) <= MAX_BLOCKS_TEXT);
    assert.deepEqual(payload.blocks[0], {
      type: "header",
      text: { type: "plain_text", text: "🧪 복구 테스트 실패", emoji: true },
    });
    const texts = payload.blocks.flatMap((b) => (b.type === "context" ? b.elements.map((e) => e.text) : []));
    assert.ok(
      texts.some((t) => /^… 외 \d+건$/.test(t)),
      "the cut lists say how much is left out",
    );
  });

  it("must map a drill to a 보안 점검 row: Status from the outcome, DB_Verified from the RDS restore, Security_Check true", () => {
    assert.deepEqual(mapEvent(DRILL_OK), {
      id: DRILL_OK.drillId,
      date: "2024-11-09",
      status: "✅ 완료",
      health: "정상",
      week: "2주차",
      summary: "복구 테스트: 3건 복구 확인",
      category: ["보안 점검"],
      dbVerified: true,
      securityCheck: true,
      slackLog: undefined,
      report: undefined,
    });
    const failed = mapEvent(DRILL_FAILED);
    assert.equal(failed.status, "❌ 실패");
    assert.equal(failed.summary, "복구 테스트: 실패 1건, 성공 1건");
    assert.equal(failed.dbVerified, false);
    assert.equal(failed.securityCheck, true);
  });

  it("must put a per-resource table and the findings in the Notion body", () => {
    const blocks = pageBlocks(DRILL_FAILED);
    const first = blocks[0];
    assert.ok(first?.type === "paragraph");
    assert.equal(first.paragraph.rich_text[0]?.text.content, `Drill ID: ${DRILL_FAILED.drillId}`);
    const table = blocks.find((b) => b.type === "table");
    assert.ok(table?.type === "table");
    assert.equal(table.table.table_width, 6);
    assert.equal(table.table.has_column_header, true);
    const rows = table.table.children.map((r) =>
      r.table_row.cells.map((c) => c.map((t) => t.text.content).join("")),
    );
    assert.deepEqual(rows, [
      ["타입", "리소스", "백업", "상태", "복구 시간", "발견 사항"],
      ["EBS", "vol-123456", "snap-789", "SUCCEEDED", "12분 4초", "0건"],
      ["S3", "app-data", "표본 100/12000개", "FAILED", "-", "1건"],
    ]);
    const bullets = blocks.flatMap((b) =>
      b.type === "bulleted_list_item"
        ? [b.bulleted_list_item.rich_text.map((t) => t.text.content).join("")]
        : [],
    );
    assert.ok(
      bullets.includes(
        "[CRITICAL] s3://backup/app-data/d.bin: missing from the backup (source s3://app-data/d.bin)",
      ),
    );
  });

  it("must keep the Notion body of a 300-resource drill within 100 children and Notion's request size", () => {
    const resources = Array.from({ length: 300 }, (_, i) => ({
      ...DRILL_FAILED.resources[1]!,
      resource: `버킷-${i}-${"가".repeat(1000)}`,
      findings: [{ severity: "CRITICAL" as const, resource: `s3://b/${i}`, message: "나".repeat(2000) }],
    }));
    const blocks = pageBlocks({ ...DRILL_FAILED, resources });
    assert.ok(blocks.length <= 100);
    // Notion refuses a request body over 500 KB; the writer budgets the body at 200,000 bytes.
    assert.ok(Buffer.byteLength(JSON.stringify(blocks)) <= 200_000);
    const table = blocks.find((b) => b.type === "table");
    assert.ok(table?.type === "table");
    assert.equal(table.table.children.length, 51);
    const paragraphs = blocks.flatMap((b) =>
      b.type === "paragraph" ? [b.paragraph.rich_text.map((t) => t.text.content).join("")] : [],
    );
    assert.ok(paragraphs.includes("… 외 250건"));
  });

  it("must write one Notion page per drill that the fake (Notion's validation) accepts, once per drill id", async () => {
    const notion = await startFakeNotion({ token: "secret_drill_test_token_0123456789abcdef" });
    try {
      const db = notion.addDatabase();
      const writer = await createNotionLoggerFromEnv(
        { NOTION_TOKEN: notion.token, NOTION_DATABASE_ID: db.databaseId, NOTION_API_BASE_URL: notion.url },
        { requestsPerSecond: 0, logger: createLogger({ level: "silent" }) },
      );
      assert.equal((await writer.log(DRILL_FAILED)).created, true);
      assert.equal((await writer.log(DRILL_FAILED)).created, false);
      const [page, ...more] = notion.pages(db.dataSourceId);
      assert.equal(more.length, 0);
      assert.deepEqual(page!.properties.Category, { multi_select: [{ name: "보안 점검" }] });
      assert.deepEqual(page!.properties.DB_Verified, { checkbox: false });
      assert.deepEqual(page!.properties.Security_Check, { checkbox: true });
      assert.ok(page!.children.some((b) => b.type === "table"));
    } finally {
      await notion.close();
    }
  });

  describe("weekly report", () => {
    // The failed drill is the week's last.
    const summary = summarizeDrills([DRILL_OK, { ...DRILL_FAILED, finishedAt: "2024-11-09T14:30:00.000Z" }]);
    const report: WeeklyReport = { ...(SEED_REPORT as WeeklyReport), drills: summary };

    it("must summarise the period's drills: the last one, its times to restore, every failure", () => {
      assert.deepEqual(summarizeDrills([]), { drills: 0, restoreTimes: [], failures: [] });
      const later = {
        ...DRILL_OK,
        drillId: "01JDRILL0000000000000000EF",
        finishedAt: "2024-11-09T15:00:00.000Z",
      };
      assert.deepEqual(summarizeDrills([DRILL_FAILED, later]), {
        drills: 2,
        lastDrillId: later.drillId,
        lastDrillAt: later.startedAt,
        lastStatus: "SUCCEEDED",
        restoreTimes: [
          { type: "EBS", resource: "vol-123456", seconds: 724 },
          { type: "RDS", resource: "db-instance-1", seconds: 3725 },
        ],
        failures: [
          {
            drillId: DRILL_FAILED.drillId,
            type: "S3",
            resource: "app-data",
            message: "missing from the backup (source s3://app-data/d.bin)",
          },
        ],
      });
    });

    it("must leave the seed's Slack report text exactly as it is", () => {
      assert.equal(formatMessage(report), formatMessage(SEED_REPORT as WeeklyReport));
      assert.deepEqual(buildPayload(report), buildPayload(SEED_REPORT as WeeklyReport));
      assert.deepEqual(parseEvent(report), report);
    });

    it("must add a 복구 테스트 section to the Notion body", () => {
      const texts = pageBlocks(report).map((b) =>
        b.type === "heading_3"
          ? `# ${b.heading_3.rich_text.map((t) => t.text.content).join("")}`
          : b.type === "bulleted_list_item"
            ? b.bulleted_list_item.rich_text.map((t) => t.text.content).join("")
            : "",
      );
      const at = texts.indexOf("# 복구 테스트");
      assert.ok(at > 0);
      assert.deepEqual(texts.slice(at, at + 6), [
        "# 복구 테스트",
        "실행: 2회",
        `마지막 테스트: 2024-11-09 23:00:00 (FAILED, Drill ID: ${DRILL_FAILED.drillId})`,
        "복구 시간 EBS: vol-123456 — 12분 4초",
        `실패 S3: app-data — missing from the backup (source s3://app-data/d.bin) (Drill ID: ${DRILL_FAILED.drillId})`,
        "# 실패한 작업",
      ]);
    });

    it("must show the section only when drills ran or are switched on, and not fail the report on an unreadable history", async () => {
      const logger = createLogger({ level: "silent" });
      const period = { start: new Date("2024-11-03T15:00:00Z"), end: new Date("2024-11-10T15:00:00Z") };
      const none: DrillHistory = { put: async () => true, list: async () => [] };
      assert.equal(await drillSection(none, period, false, logger), undefined);
      assert.deepEqual(await drillSection(none, period, true, logger), {
        drills: 0,
        restoreTimes: [],
        failures: [],
      });
      const broken: DrillHistory = {
        put: async () => true,
        list: async () => {
          throw new Error("AccessDeniedException");
        },
      };
      assert.equal(await drillSection(broken, period, true, logger), undefined);
    });
  });
});
