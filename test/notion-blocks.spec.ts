/**
 * The page body of every event kind, line by line: what people open the page for. The labels are
 * the seed's (타입, 리소스, 실행 시간, 스냅샷 ID, 파일 수, 에러 메시지, 성공률 …) as the Slack texts
 * use them; the block types are Notion's (developers.notion.com/reference/block: paragraph,
 * heading_3, bulleted_list_item, code with a language, table with table_row children, image).
 */
import assert from "node:assert/strict";
import type {
  BackupResult,
  Drill,
  DrillSummary,
  DroxEvent,
  MonthlyReport,
  RestoreEvent,
  WeeklyReport,
} from "../runtime/contract/events";
import { type Block, REPORT_DRILL_RESTORE_TIMES, idLabel, pageBlocks } from "../runtime/notion/blocks";
import {
  SEED_CHECK_OK,
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_REPORT,
  SEED_SUCCESS,
} from "./fixtures/events";

type Text = { text: { content: string } }[];
const plain = (items: Text) => items.map((i) => i.text.content).join("");

/** One line per block: `P text`, `### text`, `• text`, ```` ```language text ````, `table …`, `image id`. */
function render(blocks: readonly Block[]): string[] {
  return blocks.map((b) => {
    assert.equal(b.object, "block");
    switch (b.type) {
      case "paragraph":
        return `P ${plain(b.paragraph.rich_text)}`;
      case "heading_3":
        return `### ${plain(b.heading_3.rich_text)}`;
      case "bulleted_list_item":
        return `• ${plain(b.bulleted_list_item.rich_text)}`;
      case "code":
        return `\`\`\`${b.code.language} ${plain(b.code.rich_text)}`;
      case "table": {
        const { table } = b;
        const rows = table.children.map((row) => {
          assert.equal(row.object, "block");
          assert.equal(row.type, "table_row");
          assert.equal(row.table_row.cells.length, table.table_width, "every row has table_width cells");
          return row.table_row.cells.map(plain).join(" | ");
        });
        const header = `${table.has_column_header ? "column" : "no column"}/${table.has_row_header ? "row" : "no row"} header`;
        return `table ${table.table_width} (${header}): ${rows.join(" / ")}`;
      }
      case "image":
        return `image ${b.image.type} ${b.image.file_upload.id}`;
    }
  });
}

const GIB = 1024 ** 3;

describe("Notion page bodies, line by line", () => {
  describe("a backup result", () => {
    it("must list the run, the error with its code, every metric, the verification and the links", () => {
      const full: BackupResult = {
        ...SEED_SUCCESS,
        status: "WARNING",
        metrics: {
          snapshotId: "snap-789",
          copySnapshotId: "snap-0dr1",
          copyRegion: "us-west-2",
          filesCopied: 998,
          filesTotal: 1000,
          filesFailed: 2,
          sizeBytes: 1.5 * GIB,
          bytesCopied: 123_456,
        },
        verification: { dbVerified: true, securityCheck: false },
        error: { message: "Cross-region copy to us-west-2 failed", code: "CopyFailed" },
        links: { slackLog: "https://drox.slack.com/archives/C1/p1", report: "https://example.com/r/1" },
      };
      assert.deepEqual(render(pageBlocks(full)), [
        `P Job ID: ${SEED_SUCCESS.jobId}`,
        "• 타입: EBS",
        "• 리소스: vol-123456",
        "• 상태: WARNING",
        "• 시작: 2024-11-04 02:00:00",
        "• 종료: 2024-11-04 02:00:45",
        "• 실행 시간: 45초",
        "### 에러 메시지",
        "```plain text Cross-region copy to us-west-2 failed",
        "• 에러 코드: CopyFailed",
        "### 메트릭",
        "• 스냅샷 ID: snap-789",
        "• DR 사본: snap-0dr1 (us-west-2)",
        "• 파일 수: 998/1000",
        "• 실패한 파일: 2",
        "• 크기: 1.5 GB (1610612736 bytes)",
        "• 복사한 바이트: 123456",
        "### 검증",
        "• DB 검증: 완료",
        "• 보안 점검: 미완료",
        "• Slack 로그: https://drox.slack.com/archives/C1/p1",
        "• 리포트: https://example.com/r/1",
      ]);
    });

    it("must leave out what the run does not have: no code, no metric lines, no verification, no links", () => {
      const bare: BackupResult = {
        ...SEED_FAILURE,
        error: { message: "Database instance not found" },
        metrics: {},
      };
      assert.deepEqual(render(pageBlocks(bare)), [
        `P Job ID: ${SEED_FAILURE.jobId}`,
        "• 타입: RDS",
        "• 리소스: db-instance-1",
        "• 상태: FAILED",
        "• 시작: 2024-11-04 02:00:00",
        "• 종료: 2024-11-04 02:00:03",
        "• 실행 시간: 3초",
        "### 에러 메시지",
        "```plain text Database instance not found",
      ]);
    });

    it("must show files copied without a total, a copy without its region, and an unverified DB", () => {
      const partial: BackupResult = {
        ...SEED_SUCCESS,
        metrics: { copySnapshotId: "snap-0dr1", filesCopied: 5, filesTotal: undefined },
        verification: { dbVerified: false, securityCheck: true },
      };
      assert.deepEqual(render(pageBlocks(partial)).slice(7), [
        "### 메트릭",
        "• DR 사본: snap-0dr1",
        "• 복사한 파일: 5",
        "### 검증",
        "• DB 검증: 미완료",
        "• 보안 점검: 완료",
      ]);
    });
  });

  describe("the weekly report", () => {
    const HEAD = [
      "P Report ID: weekly-2024-11-03",
      "• 기간: 2024-10-27 00:00:00 ~ 2024-11-03 00:00:00",
      "• 주차: 1주차",
      "• 총 실행: 42건",
      "• 성공: 40건",
      "• 경고: 0건",
      "• 실패: 2건",
      "• 성공률: 95.2%",
      "• 평균 실행 시간: 38초",
    ];

    it("must give the seed report's counts and its failed jobs", () => {
      assert.deepEqual(render(pageBlocks(SEED_REPORT)), [
        ...HEAD,
        "### 실패한 작업",
        "• EBS: vol-old-123 (Job ID: 01JC8A0000000000000000000A)",
        "• RDS: db-test-456 (Job ID: 01JC8A0000000000000000000B)",
      ]);
    });

    it("must end with the counts when nothing failed, and show the uploaded chart after them", () => {
      const clean: WeeklyReport = { ...SEED_REPORT, failedJobs: [], chart: { notionFileUploadId: "f-1" } };
      assert.deepEqual(render(pageBlocks(clean)), [...HEAD, "image file_upload f-1"]);
    });

    it("must summarise the drills: the last one, its restore times, the failures, each list bounded", () => {
      const drills: DrillSummary = {
        drills: 2,
        lastDrillId: "01JDRILL0000000000000000CD",
        lastDrillAt: "2024-11-09T14:00:00.000Z",
        restoreTimes: [
          { type: "EBS", resource: "vol-123456", seconds: 724 },
          { type: "RDS", resource: "db-instance-1", seconds: 3725 },
        ],
        failures: Array.from({ length: 12 }, (_, i) => ({
          drillId: "01JDRILL0000000000000000CD",
          type: "S3" as const,
          resource: `bucket-${i}`,
          message: "missing from the backup",
        })),
      };
      const lines = render(pageBlocks({ ...SEED_REPORT, failedJobs: [], drills }));
      assert.deepEqual(lines.slice(HEAD.length), [
        "### 복구 테스트",
        "• 실행: 2회",
        "• 마지막 테스트: 2024-11-09 23:00:00 (-, Drill ID: 01JDRILL0000000000000000CD)",
        "• 복구 시간 EBS: vol-123456 — 12분 4초",
        "• 복구 시간 RDS: db-instance-1 — 1시간 2분 5초",
        ...Array.from(
          { length: 10 },
          (_, i) => `• 실패 S3: bucket-${i} — missing from the backup (Drill ID: 01JDRILL0000000000000000CD)`,
        ),
        "P … 외 2건",
      ]);
      const ten = { ...drills, lastStatus: "FAILED" as const, failures: drills.failures.slice(0, 10) };
      const tenLines = render(pageBlocks({ ...SEED_REPORT, failedJobs: [], drills: ten }));
      assert.equal(
        tenLines.at(-1),
        "• 실패 S3: bucket-9 — missing from the backup (Drill ID: 01JDRILL0000000000000000CD)",
      );
      assert.ok(
        tenLines.includes(
          "• 마지막 테스트: 2024-11-09 23:00:00 (FAILED, Drill ID: 01JDRILL0000000000000000CD)",
        ),
      );
    });

    it("must say when no drill ran in the period", () => {
      const none: DrillSummary = {
        drills: 0,
        lastDrillId: "01JDRILL0000000000000000CD",
        lastDrillAt: "2024-11-09T14:00:00.000Z",
        restoreTimes: [],
        failures: [],
      };
      const lines = render(pageBlocks({ ...SEED_REPORT, failedJobs: [], drills: none }));
      assert.deepEqual(lines.slice(HEAD.length), [
        "### 복구 테스트",
        "P 이 기간에 실행된 복구 테스트가 없습니다.",
      ]);
      // A count without the last drill's id or time cannot name it: said the same way.
      for (const partial of [
        { drills: 1, lastDrillAt: "2024-11-09T14:00:00.000Z", restoreTimes: [], failures: [] },
        { drills: 1, lastDrillId: "01JDRILL0000000000000000CD", restoreTimes: [], failures: [] },
      ]) {
        assert.deepEqual(
          render(pageBlocks({ ...SEED_REPORT, failedJobs: [], drills: partial })).slice(HEAD.length),
          ["### 복구 테스트", "P 이 기간에 실행된 복구 테스트가 없습니다."],
        );
      }
    });

    // A drill restores every target's newest backup: 200 volumes are 200 restore times, and one
    // children array holds at most 100 blocks (developers.notion.com/reference/request-limits).
    it("must keep a report whose last drill restored 200 resources within 100 children and 200 KB", () => {
      const drills: DrillSummary = {
        drills: 1,
        lastDrillId: "01JDRILL0000000000000000CD",
        lastDrillAt: "2024-11-09T14:00:00.000Z",
        lastStatus: "SUCCEEDED",
        restoreTimes: Array.from({ length: 200 }, (_, i) => ({
          type: "EBS" as const,
          resource: `볼륨-${i}-`.padEnd(1024, "가"),
          seconds: 600,
        })),
        failures: [],
      };
      const failedJobs = Array.from({ length: 300 }, (_, i) => ({
        type: "EBS" as const,
        resource: `vol-${i}`,
        jobId: `job-${i}`,
      }));
      const blocks = pageBlocks({ ...SEED_REPORT, failedJobs, drills });
      assert.ok(blocks.length <= 100, `${blocks.length} children`);
      assert.ok(Buffer.byteLength(JSON.stringify(blocks)) <= 200_000);
      const lines = render(blocks);
      const times = lines.filter((l) => l.startsWith("• 복구 시간 EBS: 볼륨-"));
      assert.equal(times.length, REPORT_DRILL_RESTORE_TIMES);
      const exactly = { ...drills, restoreTimes: drills.restoreTimes.slice(0, REPORT_DRILL_RESTORE_TIMES) };
      const all = render(pageBlocks({ ...SEED_REPORT, failedJobs: [], drills: exactly }));
      assert.equal(all.filter((l) => l.startsWith("P … 외")).length, 0, "20 restore times are all shown");
      assert.ok(
        times.every((l) => l.length === 2 + 500 && l.endsWith("…")),
        "each line cut to 500 characters",
      );
      assert.equal(lines[lines.indexOf(times.at(-1)!) + 1], `P … 외 ${200 - REPORT_DRILL_RESTORE_TIMES}건`);
      const jobs = lines.filter((l) => l.startsWith("• EBS: vol-")).length;
      assert.ok(jobs > 0);
      assert.equal(lines.at(-1), `P … 외 ${300 - jobs}건`);
    });
  });

  describe("the monthly report", () => {
    const MONTH: MonthlyReport = {
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
        { type: "S3", total: 1, succeeded: 0, warnings: 1, failed: 0, successRate: 0 },
      ],
      weeks: [
        { weekLabel: "1주차", total: 1, succeeded: 1, warnings: 0, failed: 0, successRate: 1 },
        { weekLabel: "4주차", total: 0, succeeded: 0, warnings: 0, failed: 0, successRate: 0 },
      ],
    };
    const HEAD = [
      "P Report ID: monthly-2024-11",
      "• 기간: 2024-11-01 00:00:00 ~ 2024-12-01 00:00:00",
      "• 월: 2024년 11월",
      "• 총 실행: 5건",
      "• 성공: 3건",
      "• 경고: 1건",
      "• 실패: 1건",
      "• 성공률: 60.0%",
      "• 평균 실행 시간: 1분",
    ];

    it("must give the month's counts, per type, week by week (a week without runs has no rate) and the failed jobs", () => {
      assert.deepEqual(render(pageBlocks(MONTH)), [
        ...HEAD,
        "### 타입별",
        "• EBS: 2건, 성공률 100.0%",
        "• S3: 1건, 성공률 0.0%",
        "### 주차별",
        "• 1주차: 1건, 성공률 100.0%",
        "• 4주차: 0건, 성공률 -",
        "### 실패한 작업",
        "• RDS: db-test-456 (Job ID: job-3)",
      ]);
    });

    it("must leave out the per-type section of an empty month and end without failed jobs", () => {
      const empty: MonthlyReport = { ...MONTH, byType: [], failedJobs: [], weeks: MONTH.weeks.slice(1) };
      assert.deepEqual(render(pageBlocks(empty)), [...HEAD, "### 주차별", "• 4주차: 0건, 성공률 -"]);
    });
  });

  describe("an integrity check", () => {
    // The idempotency lookup reads the first block back as `<label>: <id>` (runtime/notion/writer.ts).
    it("must begin every kind of page with the line the lookup reads back", () => {
      const month = { ...SEED_REPORT, schema: "backup.monthly-report.v1" } as unknown as DroxEvent;
      const cases: [DroxEvent, string][] = [
        [SEED_SUCCESS, "Job ID"],
        [SEED_REPORT, "Report ID"],
        [SEED_CHECK_OK, "Check ID"],
        [{ schema: "backup.drill.v1", drillId: "d-1" } as unknown as DroxEvent, "Drill ID"],
        [{ schema: "backup.restore.v1", restoreId: "r-1" } as unknown as DroxEvent, "Restore ID"],
        [month, "Report ID"],
      ];
      for (const [event, label] of cases) assert.equal(idLabel(event), label, event.schema);
    });

    it("must fill the 100 children exactly, and count the rest only when there is a rest", () => {
      const findings = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          severity: "WARNING" as const,
          resource: `r${i}`,
          message: "m",
        }));
      // Four head blocks and the heading leave 95 children for findings.
      const full = render(pageBlocks({ ...SEED_CHECK_PROBLEM, findings: findings(95) }));
      assert.equal(full.length, 100);
      assert.equal(full.at(-1), "• [WARNING] r94: m");
      const over = render(pageBlocks({ ...SEED_CHECK_PROBLEM, findings: findings(96) }));
      assert.equal(over.length, 100);
      assert.deepEqual(over.slice(-2), ["• [WARNING] r93: m", "P … 외 2건"]);
    });

    // A character JSON must escape (a control character: \u0007) is six bytes: 100 such lines of
    // 500 would be 300 KB, so the byte budget, not the children limit, must end the list.
    it("must stop the list at 200,000 bytes of JSON when every character needs escaping", () => {
      const findings = Array.from({ length: 300 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `r${i}`,
        message: "\u0007".repeat(600),
      }));
      const blocks = pageBlocks({ ...SEED_CHECK_PROBLEM, findings });
      const bytes = Buffer.byteLength(JSON.stringify(blocks));
      assert.ok(bytes <= 200_000, `${bytes} bytes`);
      assert.ok(bytes > 190_000, `${bytes} bytes: the budget is used, not the children limit`);
      assert.ok(blocks.length < 100);
      const lines = render(blocks);
      const shown = lines.filter((l) => l.startsWith("• [CRITICAL]")).length;
      assert.equal(lines.at(-1), `P … 외 ${300 - shown}건`);
    });

    it("must give the check, how many resources it looked at and each finding", () => {
      assert.deepEqual(render(pageBlocks(SEED_CHECK_PROBLEM)), [
        "P Check ID: check-2024-11-05",
        "• 점검 시각: 2024-11-05 04:00:00",
        "• 상태: FAILED",
        "• 점검 대상: 12개",
        "### 발견된 문제 (2건)",
        "• [CRITICAL] snap-0abc: snapshot is not encrypted",
        "• [WARNING] drox-backup-bucket: versioning is suspended",
      ]);
    });

    it("must say there is no problem, and leave out the count it does not have", () => {
      const { checkedResources: _omitted, ...withoutCount } = SEED_CHECK_OK;
      assert.deepEqual(render(pageBlocks(withoutCount)), [
        "P Check ID: check-2024-11-04",
        "• 점검 시각: 2024-11-04 04:00:00",
        "• 상태: SUCCEEDED",
        "P 발견된 문제가 없습니다.",
      ]);
    });
  });

  describe("a restore drill", () => {
    const DRILL: Drill = {
      schema: "backup.drill.v1",
      drillId: "01JDRILL0000000000000000AB",
      startedAt: "2024-11-09T14:00:00.000Z",
      finishedAt: "2024-11-09T14:20:00.000Z",
      status: "SUCCEEDED",
      resources: [],
      findings: [],
    };
    const HEAD = [
      "P Drill ID: 01JDRILL0000000000000000AB",
      "• 시작: 2024-11-09 23:00:00",
      "• 종료: 2024-11-09 23:20:00",
      "• 상태: SUCCEEDED",
      "• DB 검증: 미완료",
    ];

    it("must give a drill without resources and findings, its DB unverified", () => {
      assert.deepEqual(render(pageBlocks(DRILL)), [...HEAD, "P 발견된 문제가 없습니다."]);
    });

    it("must table each resource: its backup (snapshot, S3 sample or none), time to restore and findings", () => {
      const drill: Drill = {
        ...DRILL,
        verification: { dbVerified: true, securityCheck: true },
        resources: [
          {
            type: "RDS",
            resource: "db-1",
            snapshotId: "snap-db",
            status: "SUCCEEDED",
            secondsToRestore: 65,
            findings: [],
          },
          {
            type: "S3",
            resource: "logs",
            sample: { objects: 100, bytes: 5_000_000, sourceObjects: 12_000 },
            status: "FAILED",
            findings: [{ severity: "CRITICAL", resource: "s3://b/k", message: "missing" }],
          },
          { type: "EBS", resource: "vol-1", status: "FAILED", findings: [] },
        ],
      };
      assert.deepEqual(render(pageBlocks(drill)), [
        ...HEAD.slice(0, 4),
        "• DB 검증: 완료",
        "### 복구 결과",
        "table 6 (column/no row header): 타입 | 리소스 | 백업 | 상태 | 복구 시간 | 발견 사항 / " +
          "RDS | db-1 | snap-db | SUCCEEDED | 1분 5초 | 0건 / " +
          "S3 | logs | 표본 100/12000개 | FAILED | - | 1건 / " +
          "EBS | vol-1 | - | FAILED | - | 0건",
        "### 발견된 문제 (1건)",
        "• [CRITICAL] s3://b/k: missing",
      ]);
    });

    it("must show 50 resources in the table and count the rest: none at 50, one at 51", () => {
      const resource = (i: number) => ({
        type: "EBS" as const,
        resource: `vol-${i}`,
        snapshotId: `snap-${i}`,
        status: "SUCCEEDED" as const,
        findings: [],
      });
      const at50 = render(
        pageBlocks({ ...DRILL, resources: Array.from({ length: 50 }, (_, i) => resource(i)) }),
      );
      assert.equal(at50.filter((l) => l.startsWith("P … 외")).length, 0);
      assert.equal(at50.find((l) => l.startsWith("table"))!.split(" / ").length, 51);
      const at51 = render(
        pageBlocks({ ...DRILL, resources: Array.from({ length: 51 }, (_, i) => resource(i)) }),
      );
      assert.equal(
        at51.find((l) => l.startsWith("table"))!.split(" / ").length,
        51,
        "the header and 50 rows",
      );
      assert.deepEqual(at51.slice(-2), ["P … 외 1건", "P 발견된 문제가 없습니다."]);
    });
  });

  describe("a restore", () => {
    it("must give who restored what from which backup into what, the error and every metric", () => {
      const restore: RestoreEvent = {
        schema: "backup.restore.v1",
        restoreId: "01JCA0000000000000000RSTR2",
        type: "S3",
        resource: "logs",
        from: "s3://drox-backup-store/logs/",
        at: "2024-11-03T15:00:00Z",
        target: "s3://logs-restored/",
        region: "ap-northeast-3",
        requestedBy: "bob",
        status: "FAILED",
        startedAt: "2024-11-04T02:00:00+09:00",
        finishedAt: "2024-11-04T02:01:05+09:00",
        durationSeconds: 65,
        metrics: {
          endpoint: "db.example:5432",
          filesTotal: 10,
          filesSkipped: 1,
          filesRefused: 2,
          filesFailed: 3,
          sizeBytes: 2 * GIB,
        },
        error: { message: "Cannot list the destination bucket", code: "AccessDenied" },
      };
      assert.deepEqual(render(pageBlocks(restore)), [
        "P Restore ID: 01JCA0000000000000000RSTR2",
        "• 타입: S3",
        "• 원본: s3://drox-backup-store/logs/ (2024-11-04 00:00:00 시점)",
        "• 리소스: logs",
        "• 복구 대상: s3://logs-restored/",
        "• 리전: ap-northeast-3",
        "• 실행자: bob",
        "• 상태: FAILED",
        "• 시작: 2024-11-04 02:00:00",
        "• 종료: 2024-11-04 02:01:05",
        "• 소요 시간: 1분 5초",
        "### 에러 메시지",
        "```plain text Cannot list the destination bucket",
        "• 에러 코드: AccessDenied",
        "### 메트릭",
        "• 엔드포인트: db.example:5432",
        "• 파일 수: 0/10",
        "• 이미 같은 파일: 1",
        "• 덮어쓰지 않은 파일: 2",
        "• 실패한 파일: 3",
        "• 크기: 2 GB (2147483648 bytes)",
      ]);
    });

    it("must leave out the point in time, region, error code and metrics a restore does not have", () => {
      const restore: RestoreEvent = {
        schema: "backup.restore.v1",
        restoreId: "01JCA0000000000000000RSTR1",
        type: "EBS",
        resource: "vol-123456",
        from: "snap-789",
        target: "vol-0abc",
        requestedBy: "alice",
        status: "FAILED",
        startedAt: "2024-11-04T02:00:00+09:00",
        finishedAt: "2024-11-04T02:01:05+09:00",
        durationSeconds: 65,
        metrics: { filesSkipped: 0, filesRefused: 0, filesFailed: 0 },
        error: { message: "Volume limit exceeded" },
      };
      assert.deepEqual(render(pageBlocks(restore)), [
        "P Restore ID: 01JCA0000000000000000RSTR1",
        "• 타입: EBS",
        "• 원본: snap-789",
        "• 리소스: vol-123456",
        "• 복구 대상: vol-0abc",
        "• 실행자: alice",
        "• 상태: FAILED",
        "• 시작: 2024-11-04 02:00:00",
        "• 종료: 2024-11-04 02:01:05",
        "• 소요 시간: 1분 5초",
        "### 에러 메시지",
        "```plain text Volume limit exceeded",
      ]);
      const { metrics: _none, ...withoutMetrics } = restore;
      assert.equal(render(pageBlocks(withoutMetrics)).at(-1), "```plain text Volume limit exceeded");
      const totalOnly = render(pageBlocks({ ...SEED_SUCCESS, metrics: { filesTotal: 10 } }));
      assert.equal(
        totalOnly.filter((l) => l.startsWith("• 파일 수") || l.startsWith("• 복사한 파일")).length,
        0,
      );
      const copied = render(
        pageBlocks({ ...restore, error: undefined, metrics: { filesTotal: 4, filesCopied: 3 } }),
      );
      assert.deepEqual(copied.slice(-2), ["### 메트릭", "• 파일 수: 3/4"]);
    });
  });
});
