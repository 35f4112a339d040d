import assert from "node:assert/strict";
import type {
  BackupResult,
  Drill,
  IntegrityCheck,
  MonthlyReport,
  RestoreEvent,
  WeeklyReport,
} from "../runtime/contract/events";
import { pageBlocks } from "../runtime/notion/blocks";
import { bytesToGb, mapEvent, reportLevel, titleText, toProperties } from "../runtime/notion/mapping";
import type { SchemaPlan } from "../runtime/notion/schema";
import { jsonBytes, plainText, richText, splitText, truncate } from "../runtime/notion/text";
import {
  SEED_CHECK_OK,
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_RDS_SUCCESS,
  SEED_REPORT,
  SEED_S3_WARNING,
  SEED_SUCCESS,
} from "./fixtures/events";

const SEED_PLAN: SchemaPlan = { titleProperty: "Name", summaryTextProperty: "Summary", statusType: "status" };

function blockTexts(blocks: ReturnType<typeof pageBlocks>): string[] {
  return blocks.map((b) => {
    const body = (b as unknown as Record<string, { rich_text: { text: { content: string } }[] }>)[b.type]!;
    return body.rich_text.map((r) => r.text.content).join("");
  });
}

describe("Notion mapping: the seed's example rows", () => {
  // Section 5 of the seed: | Date | Summary | Status | Category | System_Health | Backup_Size |
  const rows: [string, BackupResult, Record<string, unknown>][] = [
    [
      "EBS",
      SEED_SUCCESS,
      {
        date: "2024-11-04",
        summary: "EBS 백업: vol-123456",
        status: "✅ 완료",
        category: ["AWS Snapshot"],
        health: "정상",
        sizeGb: 100,
      },
    ],
    [
      "RDS",
      SEED_RDS_SUCCESS,
      {
        date: "2024-11-04",
        summary: "RDS 백업: db-instance-1",
        status: "✅ 완료",
        category: ["RDS Dump"],
        health: "정상",
        sizeGb: 50,
      },
    ],
    [
      "S3",
      SEED_S3_WARNING,
      {
        date: "2024-11-04",
        summary: "S3 백업: bucket-prod",
        status: "⚠️ 점검필요",
        category: ["S3 Sync"],
        health: "주의",
        sizeGb: 200,
      },
    ],
  ];
  for (const [name, event, expected] of rows) {
    it(`must reproduce the seed's ${name} row property by property`, () => {
      const row = mapEvent(event);
      assert.equal(row.date, expected.date);
      assert.equal(row.summary, expected.summary);
      assert.equal(row.status, expected.status);
      assert.deepEqual(row.category, expected.category);
      assert.equal(row.health, expected.health);
      assert.equal(row.sizeGb, expected.sizeGb);
      assert.equal(row.week, "1주차");
    });
  }

  it("must reproduce the seed's weekly report row (section 6) property by property", () => {
    const row = mapEvent(SEED_REPORT);
    assert.equal(row.date, "2024-11-03");
    assert.equal(row.summary, "주간 백업 리포트\n총 42건 실행, 성공률 95%");
    assert.equal(row.status, "✅ 완료");
    assert.equal(row.week, "1주차");
    assert.deepEqual(row.category, ["보안 점검"]);
    assert.equal(row.sizeGb, undefined);
  });

  it("must write the seed rows as exactly these page properties", () => {
    assert.deepEqual(toProperties(mapEvent(SEED_SUCCESS), SEED_PLAN), {
      Name: { title: [{ type: "text", text: { content: "EBS 백업: vol-123456" } }] },
      Summary: { rich_text: [{ type: "text", text: { content: "EBS 백업: vol-123456" } }] },
      Date: { date: { start: "2024-11-04" } },
      Status: { status: { name: "✅ 완료" } },
      Category: { multi_select: [{ name: "AWS Snapshot" }] },
      Week: { select: { name: "1주차" } },
      System_Health: { select: { name: "정상" } },
      Backup_Size: { number: 100 },
      DB_Verified: { checkbox: false },
      Security_Check: { checkbox: false },
    });
    const rds = toProperties(mapEvent(SEED_RDS_SUCCESS), SEED_PLAN);
    assert.deepEqual(rds.DB_Verified, { checkbox: true });
    assert.deepEqual(rds.Backup_Size, { number: 50 });
    const report = toProperties(mapEvent(SEED_REPORT), SEED_PLAN);
    // ARCHITECTURE's Notion table: the line break belongs to Summary; the title is one line.
    assert.deepEqual(report.Name, {
      title: [{ type: "text", text: { content: "주간 백업 리포트: 총 42건 실행, 성공률 95%" } }],
    });
    assert.deepEqual(report.Summary, {
      rich_text: [{ type: "text", text: { content: "주간 백업 리포트\n총 42건 실행, 성공률 95%" } }],
    });
    const asTitle = toProperties(mapEvent(SEED_REPORT), { titleProperty: "Summary", statusType: "status" });
    assert.deepEqual(asTitle.Summary, {
      title: [{ type: "text", text: { content: "주간 백업 리포트: 총 42건 실행, 성공률 95%" } }],
    });
    assert.deepEqual(report.Status, { status: { name: "✅ 완료" } });
    assert.deepEqual(report.Week, { select: { name: "1주차" } });
    assert.deepEqual(report.Category, { multi_select: [{ name: "보안 점검" }] });
    assert.equal(report.Backup_Size, undefined);
    // A report verifies nothing itself (the integrity check and the drills do).
    assert.deepEqual(report.DB_Verified, { checkbox: false });
    assert.deepEqual(report.Security_Check, { checkbox: false });
  });
});

describe("Notion mapping: every property", () => {
  it("must map FAILED to ❌ 실패 / 이상 and take the date in the display time zone", () => {
    const late: BackupResult = {
      ...SEED_FAILURE,
      startedAt: "2024-11-04T23:59:00Z",
      finishedAt: "2024-11-04T23:59:30Z",
    };
    const row = mapEvent(late);
    assert.equal(row.status, "❌ 실패");
    assert.equal(row.health, "이상");
    assert.equal(row.date, "2024-11-05"); // 08:59:30 in Seoul
    assert.equal(row.week, "1주차");
    assert.equal(mapEvent(late, { timeZone: "UTC" }).date, "2024-11-04");
  });

  it("must compute Week from the date: day 29 is 5주차, day 8 is 2주차", () => {
    assert.equal(mapEvent({ ...SEED_SUCCESS, finishedAt: "2024-11-29T10:00:00+09:00" }).week, "5주차");
    assert.equal(mapEvent({ ...SEED_SUCCESS, finishedAt: "2024-11-08T10:00:00+09:00" }).week, "2주차");
  });

  it("must give Backup_Size in GB of 1024³ bytes with one decimal", () => {
    assert.equal(bytesToGb(1.55 * 1024 ** 3), 1.6);
    assert.equal(bytesToGb(512 * 1024 ** 2), 0.5);
    assert.equal(bytesToGb(0), 0);
  });

  it("must map LOCAL_HDD to Local HDD Backup and carry links, improvement and verification", () => {
    const local: BackupResult = {
      ...SEED_SUCCESS,
      type: "LOCAL_HDD",
      resource: "nas-01:/backup",
      verification: { dbVerified: true, securityCheck: true },
      improvement: "디스크 교체 예정",
      links: { slackLog: "https://drox.slack.com/archives/C1/p1", report: "https://example.com/r/1" },
    };
    const props = toProperties(mapEvent(local), SEED_PLAN);
    assert.deepEqual(props.Category, { multi_select: [{ name: "Local HDD Backup" }] });
    assert.deepEqual(props.Name, {
      title: [{ type: "text", text: { content: "Local HDD 백업: nas-01:/backup" } }],
    });
    assert.deepEqual(props.DB_Verified, { checkbox: true });
    assert.deepEqual(props.Security_Check, { checkbox: true });
    assert.deepEqual(props.Slack_Log_Link, { url: "https://drox.slack.com/archives/C1/p1" });
    assert.deepEqual(props.Report_Link, { url: "https://example.com/r/1" });
    assert.deepEqual(props.Improvement, {
      rich_text: [{ type: "text", text: { content: "디스크 교체 예정" } }],
    });
  });

  it("must leave out properties the event does not have, and leave the checkboxes unticked", () => {
    const props = toProperties(mapEvent(SEED_FAILURE), SEED_PLAN);
    for (const name of ["Backup_Size", "Slack_Log_Link", "Report_Link", "Improvement", "Job_ID"]) {
      assert.equal(name in props, false, name);
    }
    // No `verification` in the event: nothing was verified.
    assert.deepEqual(props, {
      Name: { title: [{ type: "text", text: { content: "RDS 백업: db-instance-1" } }] },
      Summary: { rich_text: [{ type: "text", text: { content: "RDS 백업: db-instance-1" } }] },
      Date: { date: { start: "2024-11-04" } },
      Status: { status: { name: "❌ 실패" } },
      Category: { multi_select: [{ name: "RDS Dump" }] },
      Week: { select: { name: "1주차" } },
      System_Health: { select: { name: "이상" } },
      DB_Verified: { checkbox: false },
      Security_Check: { checkbox: false },
    });
  });

  it("must leave out an empty Improvement", () => {
    assert.equal(mapEvent({ ...SEED_SUCCESS, improvement: "" }).improvement, undefined);
  });

  // developers.notion.com/reference/request-limits: a URL property holds at most 2,000 characters.
  it("must keep a 2,000-character link and leave out a longer one rather than cut it", () => {
    const url = (n: number) => `https://drox.slack.com/${"a".repeat(n - "https://drox.slack.com/".length)}`;
    const at = toProperties(
      mapEvent({ ...SEED_SUCCESS, links: { slackLog: url(2000), report: url(2000) } }),
      SEED_PLAN,
    );
    assert.deepEqual(at.Slack_Log_Link, { url: url(2000) });
    assert.deepEqual(at.Report_Link, { url: url(2000) });
    const over = toProperties(
      mapEvent({ ...SEED_SUCCESS, links: { slackLog: url(2001), report: url(2001) } }),
      SEED_PLAN,
    );
    assert.equal("Slack_Log_Link" in over, false);
    assert.equal("Report_Link" in over, false);
  });

  it('must make the title one line: lines trimmed, blank lines dropped, joined with ": "', () => {
    const row = {
      ...mapEvent(SEED_REPORT),
      summary: " 주간 백업 리포트 \r\n\r\n  총 42건 실행\u2028성공률 95%\n",
    };
    assert.deepEqual(titleText(row), [
      { type: "text", text: { content: "주간 백업 리포트: 총 42건 실행: 성공률 95%" } },
    ]);
  });

  it("must map integrity checks to 보안 점검 with the number of problems", () => {
    const ok = mapEvent(SEED_CHECK_OK);
    assert.equal(ok.summary, "보안 점검: 이상 없음");
    assert.equal(ok.status, "✅ 완료");
    assert.deepEqual(ok.category, ["보안 점검"]);
    assert.equal(ok.securityCheck, true);
    assert.equal(ok.dbVerified, false);
    const bad = mapEvent(SEED_CHECK_PROBLEM);
    assert.equal(bad.summary, "보안 점검: 문제 2건");
    assert.equal(bad.status, "❌ 실패");
    assert.equal(bad.health, "이상");
    assert.equal(bad.date, "2024-11-05");
  });

  it("must rate reports by the configurable thresholds", () => {
    assert.equal(reportLevel(0.95, { ok: 0.95, warn: 0.8 }), "SUCCEEDED");
    assert.equal(reportLevel(0.9, { ok: 0.95, warn: 0.8 }), "WARNING");
    assert.equal(reportLevel(0.79, { ok: 0.95, warn: 0.8 }), "FAILED");
    // Judged as Slack shows it: 0.9496 reads "95.0%", so not 점검필요; 0.79949 reads "79.9%".
    assert.equal(reportLevel(0.9496, { ok: 0.95, warn: 0.8 }), "SUCCEEDED");
    assert.equal(reportLevel(0.94949, { ok: 0.95, warn: 0.8 }), "WARNING");
    assert.equal(reportLevel(0.79949, { ok: 0.95, warn: 0.8 }), "FAILED");
    assert.equal(reportLevel(0.9496), "SUCCEEDED");
    const near: WeeklyReport = { ...SEED_REPORT, successRate: 0.9496 };
    assert.equal(mapEvent(near).status, "✅ 완료");
    assert.equal(mapEvent(near).health, "정상");
    const report: WeeklyReport = { ...SEED_REPORT, succeeded: 35, failed: 7, successRate: 35 / 42 };
    const row = mapEvent(report, { thresholds: { ok: 0.99, warn: 0.5 } });
    assert.equal(row.summary, "주간 백업 리포트\n총 42건 실행, 성공률 83%");
    assert.equal(row.status, "⚠️ 점검필요");
  });

  it("must file a monthly report under 보안 점검, unticked, rated by the configured thresholds", () => {
    const month: MonthlyReport = {
      schema: "backup.monthly-report.v1",
      reportId: "monthly-2024-11",
      month: "2024-11",
      periodStart: "2024-11-01T00:00:00+09:00",
      periodEnd: "2024-12-01T00:00:00+09:00",
      total: 10,
      succeeded: 9,
      warnings: 0,
      failed: 1,
      successRate: 0.9,
      averageDurationSeconds: 60,
      failedJobs: [],
      byType: [],
      weeks: [],
      links: { slackLog: "https://drox.slack.com/archives/C3/p3", report: "https://example.com/m/11" },
    };
    const row = mapEvent(month);
    assert.equal(row.status, "⚠️ 점검필요"); // 90 % is under the default 95 %
    assert.equal(row.dbVerified, false);
    assert.equal(row.securityCheck, false);
    assert.equal(row.slackLog, "https://drox.slack.com/archives/C3/p3");
    assert.equal(row.report, "https://example.com/m/11");
    assert.equal(mapEvent(month, { thresholds: { ok: 0.9, warn: 0.5 } }).status, "✅ 완료");
  });

  it("must leave DB_Verified unticked for a drill without verification, and a restore without size", () => {
    const drill: Drill = {
      schema: "backup.drill.v1",
      drillId: "01JDRILL0000000000000000AB",
      startedAt: "2024-11-09T14:00:00.000Z",
      finishedAt: "2024-11-09T14:20:00.000Z",
      status: "SUCCEEDED",
      resources: [],
      findings: [],
    };
    assert.equal(mapEvent(drill).dbVerified, false);
    const restore: RestoreEvent = {
      schema: "backup.restore.v1",
      restoreId: "01JCA0000000000000000RSTR1",
      type: "EBS",
      resource: "vol-123456",
      from: "snap-789",
      target: "vol-0abc",
      requestedBy: "alice",
      status: "SUCCEEDED",
      startedAt: "2024-11-04T02:00:00+09:00",
      finishedAt: "2024-11-04T02:01:05+09:00",
      durationSeconds: 65,
    };
    assert.equal(mapEvent(restore).sizeGb, undefined);
    assert.equal(mapEvent({ ...restore, metrics: { filesTotal: 3 } }).sizeGb, undefined);
    assert.equal("Backup_Size" in toProperties(mapEvent(restore), SEED_PLAN), false);
  });

  it("must adapt to the schema: Summary as the title, Status as select, Job_ID present", () => {
    const props = toProperties(mapEvent(SEED_SUCCESS), {
      titleProperty: "Summary",
      statusType: "select",
      jobIdProperty: "Job_ID",
    });
    assert.deepEqual(props.Summary, { title: [{ type: "text", text: { content: "EBS 백업: vol-123456" } }] });
    assert.equal("Name" in props, false);
    assert.deepEqual(props.Status, { select: { name: "✅ 완료" } });
    assert.deepEqual(props.Job_ID, { rich_text: [{ type: "text", text: { content: SEED_SUCCESS.jobId } }] });
  });
});

describe("Notion limits: text and children", () => {
  it("must split text over 2,000 characters into items and never split an emoji", () => {
    const text = "가".repeat(1999) + "😀" + "x".repeat(3000);
    const items = richText(text);
    assert.ok(items.every((i) => i.text.content.length <= 2000));
    assert.equal(items.map((i) => i.text.content).join(""), text);
    assert.equal(items[0]!.text.content.length, 1999);
  });

  it("must never leave half an emoji before the …, nor split one between two items", () => {
    assert.equal(truncate("ab😀cd", 4), "ab…");
    assert.deepEqual(splitText("ab😀cd", 3), ["ab", "😀c", "d"]);
    // An emoji elsewhere does not move the cut.
    assert.deepEqual(
      splitText(`😀${"a".repeat(2000)}`).map((piece) => piece.length),
      [2000, 2],
    );
  });

  it("must give no item for an empty text (Notion takes [] for an empty rich text)", () => {
    assert.deepEqual(richText(""), []);
  });

  it("must read rich text as Notion's plain_text, or the content sent, or nothing", () => {
    assert.equal(plainText([{ plain_text: "가" }, { text: { content: "b" } }, {}]), "가b");
  });

  // developers.notion.com/reference/request-limits counts the payload's bytes: UTF-8 of the JSON.
  it("must count a value's bytes as UTF-8 JSON", () => {
    assert.equal(jsonBytes({ a: "가" }), 11);
  });

  it("must cut with … when over the budget", () => {
    assert.equal(truncate("abcdef", 4), "abc…");
    assert.equal(truncate("abc", 4), "abc");
    const items = richText("y".repeat(5000), 2000);
    assert.equal(items.length, 1);
    assert.equal(items[0]!.text.content.length, 2000);
    assert.ok(items[0]!.text.content.endsWith("…"));
  });

  it("must keep a 10,000-character Improvement whole in 2,000-character items, and the title in one item", () => {
    const long: BackupResult = { ...SEED_SUCCESS, resource: "r".repeat(1024) };
    const withLongImprovement = { ...long, improvement: "i".repeat(10_000) };
    const props = toProperties(mapEvent(withLongImprovement), SEED_PLAN) as Record<
      string,
      { title?: unknown[]; rich_text?: { text: { content: string } }[] }
    >;
    assert.equal(props.Name!.title!.length, 1);
    const improvement = props.Improvement!.rich_text!;
    assert.equal(improvement.length, 5);
    assert.equal(improvement.map((i) => i.text.content).join(""), "i".repeat(10_000));
  });

  it("must put the details in the body, Job ID first", () => {
    const texts = blockTexts(pageBlocks(SEED_FAILURE));
    assert.equal(texts[0], `Job ID: ${SEED_FAILURE.jobId}`);
    assert.ok(texts.includes("타입: RDS"));
    assert.ok(texts.includes("리소스: db-instance-1"));
    assert.ok(texts.includes("시작: 2024-11-04 02:00:00"));
    assert.ok(texts.includes("Database instance not found"));
    assert.ok(texts.includes("에러 코드: DBInstanceNotFound"));
    const success = blockTexts(pageBlocks(SEED_SUCCESS));
    assert.ok(success.includes("스냅샷 ID: snap-789"));
    assert.ok(success.includes("파일 수: 1000/1000"));
    assert.ok(success.includes("실행 시간: 45초"));
  });

  it("must list the report's counts and failed jobs", () => {
    const texts = blockTexts(pageBlocks(SEED_REPORT));
    assert.equal(texts[0], "Report ID: weekly-2024-11-03");
    assert.ok(texts.includes("총 실행: 42건"));
    assert.ok(texts.includes("성공률: 95.2%"));
    assert.ok(texts.includes("EBS: vol-old-123 (Job ID: 01JC8A0000000000000000000A)"));
  });

  it("must keep a 500-job failed list within 100 children, ending with … 외 N건", () => {
    const failedJobs = Array.from({ length: 500 }, (_, i) => ({
      type: "EBS" as const,
      resource: `vol-${i}`,
      jobId: `job-${i}`,
    }));
    const blocks = pageBlocks({ ...SEED_REPORT, failedJobs });
    assert.equal(blocks.length, 100);
    const texts = blockTexts(blocks);
    const shown = texts.filter((t) => t.startsWith("EBS: vol-")).length;
    assert.equal(texts[99], `… 외 ${500 - shown}건`);
  });

  it("must list a check's findings, or say there are none", () => {
    assert.ok(
      blockTexts(pageBlocks(SEED_CHECK_PROBLEM)).includes("[CRITICAL] snap-0abc: snapshot is not encrypted"),
    );
    assert.ok(blockTexts(pageBlocks(SEED_CHECK_OK)).includes("발견된 문제가 없습니다."));
    const many: IntegrityCheck = {
      ...SEED_CHECK_PROBLEM,
      findings: Array.from({ length: 150 }, (_, i) => ({
        severity: "WARNING" as const,
        resource: `r${i}`,
        message: "m".repeat(3000),
      })),
    };
    const blocks = pageBlocks(many);
    assert.equal(blocks.length, 100);
  });

  // developers.notion.com/reference/request-limits: 500 KB per request; Korean is 3 bytes a character.
  it("must cut each finding to 500 characters and keep a long Korean body under 200 KB, with … 외 N건", () => {
    const check: IntegrityCheck = {
      ...SEED_CHECK_PROBLEM,
      findings: Array.from({ length: 300 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `snap-${i}`,
        message: "암호화되지 않은 스냅샷입니다".repeat(700), // 9,800 characters, the schema allows 10,000
      })),
    };
    const blocks = pageBlocks(check);
    const bytes = Buffer.byteLength(JSON.stringify(blocks), "utf8");
    assert.ok(bytes <= 200_000, `body is ${bytes} bytes`);
    assert.ok(blocks.length <= 100);
    const texts = blockTexts(blocks);
    const bullets = texts.filter((t) => t.startsWith("[CRITICAL] snap-"));
    assert.ok(bullets.length >= 20, `only ${bullets.length} findings shown`);
    for (const line of bullets) {
      assert.equal(line.length, 500);
      assert.ok(line.endsWith("…"));
    }
    assert.equal(texts.at(-1), `… 외 ${300 - bullets.length}건`);
  });

  it("must keep a report's 1,000 failed jobs with 1,024-character Korean resources under 200 KB", () => {
    const failedJobs = Array.from({ length: 1000 }, (_, i) => ({
      type: "S3" as const,
      resource: `버킷-${i}-`.padEnd(1024, "가"),
      jobId: `job-${i}`,
    }));
    const blocks = pageBlocks({ ...SEED_REPORT, failedJobs });
    assert.ok(Buffer.byteLength(JSON.stringify(blocks), "utf8") <= 200_000);
    const texts = blockTexts(blocks);
    const shown = texts.filter((t) => t.startsWith("S3: 버킷-"));
    assert.ok(shown.every((t) => t.length <= 500));
    assert.equal(texts.at(-1), `… 외 ${1000 - shown.length}건`);
  });

  it("must keep the error message's code block to 20,000 characters in ten rich-text items", () => {
    const failure: BackupResult = { ...SEED_FAILURE, error: { message: "에".repeat(10_000) } };
    const code = pageBlocks(failure).find((b) => b.type === "code");
    assert.ok(code && code.type === "code");
    assert.equal(code.code.rich_text.map((r) => r.text.content).join(""), "에".repeat(10_000));
    assert.ok(code.code.rich_text.length <= 10);
  });
});
