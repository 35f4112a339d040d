import assert from "node:assert/strict";
import { type BackupResult, type MonthlyReport, parseEvent } from "../runtime/contract/events";
import { buildMonthly } from "../runtime/reports";
import { aggregateMonth } from "../runtime/reports/monthly";
import { monthPeriod, previousMonth } from "../runtime/reports/periods";
import { formatMessage } from "../runtime/slack/messages";
import { buildPayload } from "../runtime/slack/blocks";
import { channelsFor } from "../runtime/slack/routing";
import { mapEvent, pageBlocks } from "../runtime/notion";
import { createLogger } from "../runtime/logging/logger";
import { readJobSettings } from "../runtime/settings/jobs";
import { MemoryHistory } from "./support/memory-history";

const ZONE = "Asia/Seoul";

function run(
  jobId: string,
  type: BackupResult["type"],
  resource: string,
  finishedAt: string,
  durationSeconds: number,
  status: BackupResult["status"] = "SUCCEEDED",
): BackupResult {
  return {
    schema: "backup.result.v1",
    jobId,
    type,
    resource,
    status,
    startedAt: new Date(Date.parse(finishedAt) - durationSeconds * 1000).toISOString(),
    finishedAt,
    durationSeconds,
    ...(status === "FAILED" ? { error: { message: "Database instance not found" } } : {}),
  };
}

/** November 2024 in Seoul: five runs, one failed and one warning, plus one run on each side of the month. */
const NOVEMBER: BackupResult[] = [
  run("job-1", "EBS", "vol-1", "2024-11-01T02:00:45+09:00", 45),
  run("job-2", "RDS", "db-1", "2024-11-10T02:01:00+09:00", 60),
  run("job-3", "RDS", "db-test-456", "2024-11-12T02:00:30+09:00", 30, "FAILED"),
  run("job-4", "S3", "bucket-a", "2024-11-20T03:00:00+09:00", 120, "WARNING"),
  run("job-5", "EBS", "vol-1", "2024-11-30T23:59:59+09:00", 45),
  run("job-0", "EBS", "vol-1", "2024-10-31T23:59:59+09:00", 999, "FAILED"),
  run("job-6", "EBS", "vol-1", "2024-12-01T00:00:00+09:00", 999, "FAILED"),
];

const EXPECTED: MonthlyReport = {
  schema: "backup.monthly-report.v1",
  reportId: "monthly-2024-11",
  month: "2024-11",
  periodStart: "2024-11-01T00:00:00+09:00",
  periodEnd: "2024-12-01T00:00:00+09:00",
  total: 5,
  succeeded: 3,
  warnings: 1,
  failed: 1,
  successRate: 0.6,
  averageDurationSeconds: 60,
  failedJobs: [{ type: "RDS", resource: "db-test-456", jobId: "job-3" }],
  byType: [
    { type: "EBS", total: 2, succeeded: 2, warnings: 0, failed: 0, successRate: 1 },
    { type: "RDS", total: 2, succeeded: 1, warnings: 0, failed: 1, successRate: 0.5 },
    { type: "S3", total: 1, succeeded: 0, warnings: 1, failed: 0, successRate: 0 },
  ],
  weeks: [
    { weekLabel: "1주차", total: 1, succeeded: 1, warnings: 0, failed: 0, successRate: 1 },
    { weekLabel: "2주차", total: 2, succeeded: 1, warnings: 0, failed: 1, successRate: 0.5 },
    { weekLabel: "3주차", total: 1, succeeded: 0, warnings: 1, failed: 0, successRate: 0 },
    { weekLabel: "4주차", total: 0, succeeded: 0, warnings: 0, failed: 0, successRate: 0 },
    { weekLabel: "5주차", total: 1, succeeded: 1, warnings: 0, failed: 0, successRate: 1 },
  ],
};

describe("monthly report", () => {
  it("must aggregate a month with a failure: totals, rate, average, failed jobs, per type and week by week", () => {
    const report = aggregateMonth(NOVEMBER, monthPeriod("2024-11", ZONE), ZONE);
    assert.deepEqual(report, EXPECTED);
    assert.deepEqual(parseEvent(report), report);
  });

  it("must cut a month into N주차 as Notion's Week counts them (February 2025 has no 5주차)", () => {
    const february = monthPeriod("2025-02", ZONE);
    assert.deepEqual(
      february.weeks.map((w) => w.label),
      ["1주차", "2주차", "3주차", "4주차"],
    );
    assert.equal(february.end.toISOString(), "2025-02-28T15:00:00.000Z");
    assert.equal(monthPeriod("2024-12", ZONE).weeks[4]!.start.toISOString(), "2024-12-28T15:00:00.000Z");
  });

  it("must report, by default, the month before the day it runs in the display zone", () => {
    // 1 December 00:30 in Seoul is still 30 November in UTC: the month just ended is November.
    assert.equal(previousMonth(new Date("2024-11-30T15:30:00Z"), ZONE), "2024-11");
    assert.equal(previousMonth(new Date("2025-01-01T00:00:00+09:00"), ZONE), "2024-12");
  });

  it("must build the month from the history and draw its weeks", async () => {
    const history = new MemoryHistory();
    for (const record of NOVEMBER) await history.put(record);
    const built = await buildMonthly(
      {
        settings: readJobSettings({ DISPLAY_TIME_ZONE: ZONE }),
        history,
        publisher: { publish: () => Promise.reject(new Error("not published")) },
        logger: createLogger({ level: "silent" }),
        now: () => new Date("2024-12-01T06:00:00+09:00"),
      },
      undefined,
    );
    assert.deepEqual(built.report, EXPECTED);
    assert.deepEqual(built.chart.buckets, ["1주차", "2주차", "3주차", "4주차", "5주차"]);
    assert.equal(built.title, "2024년 11월 백업");
    assert.deepEqual(history.queries[0], {
      from: "2024-10-31T15:00:00.000Z",
      to: "2024-11-30T15:00:00.000Z",
      limit: 100,
    });
  });

  it("must read in Slack as the weekly report does, then per type and week by week", () => {
    assert.equal(
      formatMessage(EXPECTED),
      [
        "📊 2024년 11월 백업 리포트",
        "",
        "총 실행: 5건",
        "성공: 3건",
        "경고: 1건",
        "실패: 1건",
        "성공률: ❌ 60.0%",
        "",
        "평균 실행 시간: 1분",
        "",
        "타입별:",
        "• EBS: 2건, 성공률 ✅ 100.0%",
        "• RDS: 2건, 성공률 ❌ 50.0%",
        "• S3: 1건, 성공률 ❌ 0.0%",
        "",
        "주차별:",
        "• 1주차: 1건, 성공률 ✅ 100.0%",
        "• 2주차: 2건, 성공률 ❌ 50.0%",
        "• 3주차: 1건, 성공률 ❌ 0.0%",
        "• 4주차: 0건, 성공률 - (실행 없음)",
        "• 5주차: 1건, 성공률 ✅ 100.0%",
        "",
        "실패한 작업:",
        "• RDS: db-test-456",
      ].join("\n"),
    );
    const payload = buildPayload(EXPECTED);
    assert.deepEqual(payload.blocks[0], {
      type: "header",
      text: { type: "plain_text", text: "📊 2024년 11월 백업 리포트", emoji: true },
    });
    assert.ok(payload.blocks.length <= 50);
  });

  it("must go to #devops-reports and the main channel, like the weekly report", () => {
    assert.deepEqual(channelsFor(EXPECTED), ["main", "reports"]);
  });

  it("must be a Notion page under 보안 점검, dated the month's last day, with the chart in its body", () => {
    const row = mapEvent(EXPECTED, { timeZone: ZONE });
    assert.equal(row.id, "monthly-2024-11");
    assert.equal(row.date, "2024-11-30");
    assert.equal(row.week, "5주차");
    assert.deepEqual(row.category, ["보안 점검"]);
    assert.equal(row.summary, "월간 백업 리포트 2024년 11월\n총 5건 실행, 성공률 60%");
    assert.equal(row.status, "❌ 실패");
    const withChart: MonthlyReport = {
      ...EXPECTED,
      chart: { notionFileUploadId: "43833259-72ae-404e-8441-b6577f3159b4" },
    };
    const blocks = pageBlocks(withChart, ZONE);
    assert.deepEqual(
      blocks.filter((b) => b.type === "image"),
      [
        {
          object: "block",
          type: "image",
          image: { type: "file_upload", file_upload: { id: "43833259-72ae-404e-8441-b6577f3159b4" } },
        },
      ],
    );
    assert.equal(pageBlocks(EXPECTED, ZONE).filter((b) => b.type === "image").length, 0);
  });
});
