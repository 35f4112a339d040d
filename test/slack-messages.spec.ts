import assert from "node:assert/strict";
import type {
  BackupResult,
  Drill,
  IntegrityCheck,
  MonthlyReport,
  RestoreEvent,
  WeeklyReport,
} from "../runtime/contract/events";
import {
  formatMessage,
  formatPercent,
  formatTestMessage,
  successRateEmoji,
  truncate,
} from "../runtime/slack/messages";
import {
  SEED_CHECK_OK,
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_REPORT,
  SEED_S3_WARNING,
  SEED_SUCCESS,
} from "./fixtures/events";

const lines = (text: string) => text.split("\n");

describe("Slack message texts", () => {
  describe("the seed's examples, line by line", () => {
    it("must render the success example exactly", () => {
      assert.deepEqual(lines(formatMessage(SEED_SUCCESS)), [
        "✅ 백업 작업 성공",
        "",
        "타입: EBS",
        "리소스: vol-123456",
        "실행 시간: 45초",
        `Job ID: ${SEED_SUCCESS.jobId}`,
        "",
        "메트릭:",
        "스냅샷 ID: snap-789",
        "파일 수: 1000/1000",
      ]);
    });

    it("must render the failure example exactly, the time in Asia/Seoul", () => {
      assert.deepEqual(lines(formatMessage(SEED_FAILURE)), [
        "❌ 백업 작업 실패",
        "",
        "타입: RDS",
        "리소스: db-instance-1",
        `Job ID: ${SEED_FAILURE.jobId}`,
        "시각: 2024-11-04 02:00:00",
        "",
        "에러 메시지:",
        "Database instance not found",
        "",
        "⚠️ 즉시 확인이 필요합니다.",
      ]);
    });

    it("must render the weekly report example exactly", () => {
      assert.deepEqual(lines(formatMessage(SEED_REPORT)), [
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
      ]);
    });
  });

  describe("other messages in the same style", () => {
    it("must render a WARNING result with its warning, time and metrics", () => {
      assert.deepEqual(lines(formatMessage(SEED_S3_WARNING)), [
        "⚠️ 백업 작업 경고",
        "",
        "타입: S3",
        "리소스: bucket-prod",
        "실행 시간: 5분",
        `Job ID: ${SEED_S3_WARNING.jobId}`,
        "시각: 2024-11-04 03:00:00",
        "",
        "경고 내용:",
        "2 objects could not be copied",
        "",
        "메트릭:",
        "파일 수: 998/1000",
        "실패한 파일: 2",
        "",
        "⚠️ 점검이 필요합니다.",
      ]);
    });

    it("must render a clean integrity check", () => {
      assert.deepEqual(lines(formatMessage(SEED_CHECK_OK)), [
        "🔐 보안 점검 완료",
        "",
        "점검 ID: check-2024-11-04",
        "시각: 2024-11-04 04:00:00",
        "점검 대상: 12개",
        "결과: 이상 없음",
      ]);
    });

    it("must render an integrity check with problems as bullets and ask for action", () => {
      assert.deepEqual(lines(formatMessage(SEED_CHECK_PROBLEM)), [
        "🚨 보안 점검 이상 발견",
        "",
        "점검 ID: check-2024-11-05",
        "시각: 2024-11-05 04:00:00",
        "점검 대상: 12개",
        "발견 사항: 2건",
        "",
        "발견 사항 목록:",
        "• [심각] snap-0abc: snapshot is not encrypted",
        "• [경고] drox-backup-bucket: versioning is suspended",
        "",
        "⚠️ 즉시 확인이 필요합니다.",
      ]);
    });

    it("must render the test message with the time in the display zone", () => {
      const now = new Date("2024-11-03T17:00:00Z");
      assert.deepEqual(lines(formatTestMessage({ now })), [
        "🔔 DROX DevOps Backup 테스트 메시지",
        "",
        "Slack 연동이 정상적으로 설정되었습니다.",
        "시각: 2024-11-04 02:00:00",
      ]);
      assert.equal(lines(formatTestMessage({ now, timeZone: "UTC" }))[3], "시각: 2024-11-03 17:00:00");
    });

    it("must omit the metrics section when the job has no metrics, and list DR copies when it has them", () => {
      const bare: BackupResult = { ...SEED_SUCCESS, metrics: undefined };
      assert.deepEqual(lines(formatMessage(bare)).slice(-2), ["실행 시간: 45초", `Job ID: ${bare.jobId}`]);
      const withCopy: BackupResult = {
        ...SEED_SUCCESS,
        metrics: { snapshotId: "snap-1", copySnapshotId: "snap-2", copyRegion: "ap-northeast-3" },
      };
      assert.deepEqual(lines(formatMessage(withCopy)).slice(-3), [
        "메트릭:",
        "스냅샷 ID: snap-1",
        "DR 복사본: snap-2 (ap-northeast-3)",
      ]);
    });
  });

  describe("times, durations, rates", () => {
    it("must show times in the configured display time zone", () => {
      assert.equal(lines(formatMessage(SEED_FAILURE, { timeZone: "UTC" }))[5], "시각: 2024-11-03 17:00:00");
      assert.equal(
        lines(formatMessage(SEED_FAILURE, { timeZone: "America/New_York" }))[5],
        "시각: 2024-11-03 12:00:00",
      );
    });

    it("must read durations of a minute or more naturally", () => {
      const result: BackupResult = { ...SEED_SUCCESS, durationSeconds: 83 };
      assert.equal(lines(formatMessage(result))[4], "실행 시간: 1분 23초");
      const report: WeeklyReport = { ...SEED_REPORT, averageDurationSeconds: 3725 };
      assert.ok(lines(formatMessage(report)).includes("평균 실행 시간: 1시간 2분 5초"));
    });

    it("must pick the success-rate emoji by the thresholds, judged on the rate as shown", () => {
      const t = { ok: 0.95, warn: 0.8 };
      assert.equal(successRateEmoji(0.95, t), "✅");
      assert.equal(successRateEmoji(0.94951, t), "✅"); // shown as 95.0%
      assert.equal(successRateEmoji(0.9496, t), "✅"); // shown as 95.0%
      assert.equal(successRateEmoji(0.9496), "✅"); // default thresholds
      assert.equal(successRateEmoji(0.9494, t), "⚠️");
      assert.equal(successRateEmoji(0.8, t), "⚠️");
      assert.equal(successRateEmoji(0.7994, t), "❌"); // shown as 79.9%
      assert.equal(successRateEmoji(0.9, { ok: 0.99, warn: 0.95 }), "❌");
      assert.equal(formatPercent(40 / 42), "95.2%");
      assert.equal(formatPercent(1), "100.0%");
      assert.equal(formatPercent(0), "0.0%");
    });

    it("must apply custom thresholds to the report line", () => {
      const text = formatMessage(SEED_REPORT, { thresholds: { ok: 0.99, warn: 0.9 } });
      assert.ok(lines(text).includes("성공률: ⚠️ 95.2%"));
    });

    it("must add a warnings line only when there were warnings, and drop the failed section when none", () => {
      const report: WeeklyReport = {
        ...SEED_REPORT,
        total: 42,
        succeeded: 39,
        warnings: 3,
        failed: 0,
        successRate: 39 / 42,
        failedJobs: [],
      };
      assert.deepEqual(lines(formatMessage(report)), [
        "📊 1주차 백업 리포트",
        "",
        "총 실행: 42건",
        "성공: 39건",
        "경고: 3건",
        "실패: 0건",
        "성공률: ⚠️ 92.9%",
        "",
        "평균 실행 시간: 38초",
      ]);
    });

    it("must not claim a success rate for a week without runs", () => {
      const empty: WeeklyReport = {
        ...SEED_REPORT,
        total: 0,
        succeeded: 0,
        warnings: 0,
        failed: 0,
        successRate: 0,
        failedJobs: [],
      };
      assert.ok(lines(formatMessage(empty)).includes("성공률: - (실행 없음)"));
    });
  });

  describe("long content", () => {
    it("must cut a long failed-jobs list with a visible count of the rest", () => {
      const failedJobs = Array.from({ length: 120 }, (_, i) => ({
        type: "EBS" as const,
        resource: `vol-${i}`,
        jobId: `job-${i}`,
      }));
      const report: WeeklyReport = {
        ...SEED_REPORT,
        total: 120,
        succeeded: 0,
        failed: 120,
        successRate: 0,
        failedJobs,
      };
      const out = lines(formatMessage(report));
      assert.equal(out.filter((l) => l.startsWith("• EBS: ")).length, 50);
      assert.equal(out.at(-1), "… 외 70건");
    });

    // Slack truncates `text` beyond 40,000 characters on every way of posting, incoming webhooks
    // included (https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
    it("must cap the text at Slack's 40,000 characters with a visible cut", () => {
      const huge: BackupResult = { ...SEED_FAILURE, error: { message: "x".repeat(10_000) } };
      assert.ok(formatMessage(huge).includes("x".repeat(10_000)), "10,000 characters fit whole");
      const findings = Array.from({ length: 60 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `snap-${i}`,
        message: "m".repeat(10_000),
      }));
      const long = formatMessage({ ...SEED_CHECK_PROBLEM, findings });
      assert.equal(long.length, 40_000);
      assert.ok(long.endsWith("m…"));
      const cut = truncate("가".repeat(50_000), 40_000);
      assert.equal(cut.length, 40_000);
      assert.ok(cut.endsWith("…"));
    });

    it("must never split an emoji (a surrogate pair) when cutting", () => {
      const cut = truncate("a" + "😀".repeat(10), 6);
      assert.equal(cut, "a😀😀…");
      assert.ok(!/[\ud800-\udbff]…$/.test(truncate("😀".repeat(10), 6)));
    });
  });

  describe("every line only when it has something to say", () => {
    const MONTH: MonthlyReport = {
      schema: "backup.monthly-report.v1",
      reportId: "monthly-2024-11",
      month: "2024-11",
      periodStart: "2024-11-01T00:00:00+09:00",
      periodEnd: "2024-12-01T00:00:00+09:00",
      total: 0,
      succeeded: 0,
      warnings: 0,
      failed: 0,
      successRate: 0,
      averageDurationSeconds: 0,
      failedJobs: [],
      byType: [],
      weeks: [],
    };
    const DRILL: Drill = {
      schema: "backup.drill.v1",
      drillId: "01JDRILL0000000000000000AB",
      startedAt: "2024-11-09T14:00:00.000Z",
      finishedAt: "2024-11-09T14:20:00.000Z",
      status: "WARNING",
      resources: [],
      findings: [],
    };
    const RESTORE: RestoreEvent = {
      schema: "backup.restore.v1",
      restoreId: "01JCA0000000000000000RSTR1",
      type: "RDS",
      resource: "db-instance-1",
      from: "drox-db-instance-1-01jc",
      target: "db-restored",
      requestedBy: "alice",
      status: "WARNING",
      startedAt: "2024-11-04T02:00:00+09:00",
      finishedAt: "2024-11-04T02:01:05+09:00",
      durationSeconds: 65,
    };
    const metricsOf = (metrics: BackupResult["metrics"]) => {
      const all = lines(formatMessage({ ...SEED_SUCCESS, metrics }));
      return all.slice(all.indexOf("메트릭:") + 1);
    };

    it("must show the files of a job with one side of the count, failures only when some failed, and a DR copy's region when known", () => {
      assert.deepEqual(metricsOf({ filesCopied: 12 }), ["파일 수: 12"]);
      assert.deepEqual(metricsOf({ filesTotal: 1000 }), ["파일 수: -/1000"]);
      assert.deepEqual(metricsOf({ filesCopied: 3, filesTotal: 3, filesFailed: 0, snapshotId: "snap-1" }), [
        "스냅샷 ID: snap-1",
        "파일 수: 3/3",
      ]);
      assert.deepEqual(metricsOf({ snapshotId: "snap-1", copySnapshotId: "snap-2" }), [
        "스냅샷 ID: snap-1",
        "DR 복사본: snap-2",
      ]);
      assert.deepEqual(
        metricsOf({ snapshotId: "snap-1", copySnapshotId: "snap-2", copyRegion: "ap-northeast-3" }),
        ["스냅샷 ID: snap-1", "DR 복사본: snap-2 (ap-northeast-3)"],
      );
    });

    it("must show a WARNING without a reason as its time and the review line, and a drill resource's time and sample together", () => {
      const { error: _error, ...bare } = SEED_S3_WARNING;
      const text = lines(formatMessage({ ...bare, metrics: undefined }));
      assert.deepEqual(text.slice(-3), ["시각: 2024-11-04 03:00:00", "", "⚠️ 점검이 필요합니다."]);
      const both = {
        type: "S3" as const,
        resource: "app-data",
        status: "SUCCEEDED" as const,
        secondsToRestore: 65,
        sample: { objects: 100, bytes: 5_000_000, sourceObjects: 12_000 },
        findings: [],
      };
      const drill = lines(formatMessage({ ...DRILL, status: "SUCCEEDED", resources: [both] }));
      assert.equal(drill[6], "• ✅ S3: app-data — 복구 시간 1분 5초, 표본 100/12000개 비교");
    });

    it("must say (없음) for a failure that carries no error", () => {
      const { error: _error, ...bare } = SEED_FAILURE;
      assert.deepEqual(lines(formatMessage(bare)).slice(6, 9), ["", "에러 메시지:", "(없음)"]);
      const restore = lines(formatMessage({ ...RESTORE, status: "FAILED" }));
      assert.deepEqual(restore.slice(-5), ["", "에러 메시지:", "(없음)", "", "⚠️ 즉시 확인이 필요합니다."]);
    });

    it("must keep a list of exactly the limit whole, without `외`", () => {
      const failedJobs = Array.from({ length: 50 }, (_, i) => ({
        type: "EBS" as const,
        resource: `vol-${i}`,
        jobId: `j${i}`,
      }));
      const text = formatMessage({ ...SEED_REPORT, failedJobs });
      assert.equal(text.split("\n").filter((l) => l.startsWith("• EBS: ")).length, 50);
      assert.ok(!text.includes("외"), text);
    });

    it("must leave a quiet month without warnings, types or failures", () => {
      assert.deepEqual(lines(formatMessage(MONTH)), [
        "📊 2024년 11월 백업 리포트",
        "",
        "총 실행: 0건",
        "성공: 0건",
        "실패: 0건",
        "성공률: - (실행 없음)",
        "",
        "평균 실행 시간: 0초",
        "",
        "주차별:",
      ]);
    });

    it("must leave out the checked count when unknown and ask for review on a WARNING check", () => {
      const { checkedResources: _count, ...check } = { ...SEED_CHECK_PROBLEM, status: "WARNING" as const };
      const text = lines(formatMessage(check as IntegrityCheck));
      assert.equal(text[4], "발견 사항: 2건");
      assert.deepEqual(text.slice(-2), ["", "⚠️ 점검이 필요합니다."]);
    });

    it("must show a WARNING drill without resources as its id, time and a review line", () => {
      assert.deepEqual(lines(formatMessage(DRILL)), [
        "🧪 복구 테스트 주의 필요",
        "",
        "Drill ID: 01JDRILL0000000000000000AB",
        "시각: 2024-11-09 23:00:00",
        "",
        "⚠️ 점검이 필요합니다.",
      ]);
      const bare = { type: "EBS" as const, resource: "vol-1", status: "FAILED" as const, findings: [] };
      const withResource = lines(formatMessage({ ...DRILL, status: "FAILED", resources: [bare] }));
      assert.deepEqual(withResource.slice(4, 7), ["", "복구 결과:", "• ❌ EBS: vol-1"]);
    });

    it("must show a restore's endpoint, skipped and refused files only when there are some, and a WARNING's reason", () => {
      const text = lines(
        formatMessage({
          ...RESTORE,
          metrics: {
            endpoint: "db-restored.abc.rds.amazonaws.com:5432",
            filesTotal: 4,
            filesSkipped: 2,
            filesRefused: 0,
            filesFailed: 0,
          },
          error: { message: "2 files were already there" },
        }),
      );
      assert.deepEqual(text.slice(9), [
        "",
        "메트릭:",
        "엔드포인트: db-restored.abc.rds.amazonaws.com:5432",
        "파일 수: 0/4",
        "이미 같은 파일: 2",
        "",
        "경고 내용:",
        "2 files were already there",
        "",
        "⚠️ 점검이 필요합니다.",
      ]);
      const quiet = lines(
        formatMessage({
          ...RESTORE,
          metrics: { filesTotal: 1, filesCopied: 1, filesSkipped: 0, filesRefused: 0, filesFailed: 0 },
        }),
      );
      assert.deepEqual(quiet.slice(9), ["", "메트릭:", "파일 수: 1/1", "", "⚠️ 점검이 필요합니다."]);
      const noMetrics = lines(formatMessage(RESTORE));
      assert.deepEqual(noMetrics.slice(9), ["", "⚠️ 점검이 필요합니다."]);
    });

    it("must cut at the limit only beyond it, and never between the halves of any surrogate pair", () => {
      assert.equal(truncate("abcd", 4), "abcd");
      assert.equal(truncate("abcde", 4), "abc…");
      // The highest and lowest high surrogates (U+D800, U+DBFF) and an emoji's, just before the cut.
      for (const pair of ["\uD800\uDC00", "\uDBFF\uDFFF", "😀"]) {
        assert.equal(truncate(`ab${pair}cd`, 4), "ab…", JSON.stringify(pair));
      }
    });
  });
});
