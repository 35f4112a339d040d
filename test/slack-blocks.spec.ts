import assert from "node:assert/strict";
import type {
  BackupResult,
  Drill,
  DroxEvent,
  IntegrityCheck,
  RestoreEvent,
  WeeklyReport,
} from "../runtime/contract/events";
import {
  buildPayload,
  buildTestPayload,
  escapeMrkdwn,
  type SlackBlock,
  type SlackPayload,
} from "../runtime/slack/blocks";
import { FakeSlack } from "./fakes/slack-server";
import {
  SEED_CHECK_OK,
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_REPORT,
  SEED_S3_WARNING,
  SEED_SUCCESS,
} from "./fixtures/events";

function texts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === "header") return [b.text.text];
    if (b.type === "section")
      return [...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === "context") return b.elements.map((e) => e.text);
    return [];
  });
}

/**
 * Block Kit's documented limits (https://docs.slack.dev/reference/block-kit/blocks): 50 blocks, a
 * section's text 3,000 characters, 10 fields of 2,000, a header 150. The blocks' text in all is
 * held to 9,000: Slack refuses "12,000 text characters" and more (bolt-js#2509), and a measured
 * 11,341 was refused while 9,597 passed (https://github.com/slackapi/bolt-js/issues/2867).
 */
function assertWithinLimits(payload: SlackPayload): void {
  assert.ok(payload.blocks.length >= 1 && payload.blocks.length <= 50, `${payload.blocks.length} blocks`);
  for (const block of payload.blocks) {
    if (block.type === "section") {
      if (block.text) assert.ok(block.text.text.length <= 3000, `section ${block.text.text.length}`);
      assert.ok((block.fields ?? []).length <= 10);
      for (const f of block.fields ?? []) assert.ok(f.text.length <= 2000);
    }
    if (block.type === "header") assert.ok(block.text.text.length <= 150);
  }
  const total = texts(payload.blocks).reduce((n, t) => n + t.length, 0);
  assert.ok(total <= 9_000, `${total} characters of block text`);
}

const manyFailed = (n: number): WeeklyReport => ({
  ...SEED_REPORT,
  total: n,
  succeeded: 0,
  warnings: 0,
  failed: n,
  successRate: 0,
  failedJobs: Array.from({ length: n }, (_, i) => ({
    type: "S3" as const,
    resource: `bucket-with-a-rather-long-name-${"x".repeat(60)}-${i}`,
    jobId: `job-${i}`,
  })),
});

const manyFindings = (n: number): IntegrityCheck => ({
  ...SEED_CHECK_PROBLEM,
  findings: Array.from({ length: n }, (_, i) => ({
    severity: "CRITICAL" as const,
    resource: `snap-${i}`,
    message: "snapshot is not encrypted and has no DR copy in the secondary region",
  })),
});

describe("Slack Block Kit payloads", () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  async function post(payload: SlackPayload): Promise<{ status: number; body: string }> {
    const res = await fetch(slack.webhookUrl("main"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    return { status: res.status, body: await res.text() };
  }

  it("must carry the seed's text as the payload's text", () => {
    const seed: [DroxEvent, string[]][] = [
      [
        SEED_SUCCESS,
        [
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
        ],
      ],
      [
        SEED_FAILURE,
        [
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
        ],
      ],
      [
        SEED_REPORT,
        [
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
        ],
      ],
    ];
    for (const [event, lines] of seed) assert.equal(buildPayload(event).text, lines.join("\n"));
  });

  it("must render the result's content richer: header, fields, size, error code block, call to action", () => {
    const success = texts(buildPayload(SEED_SUCCESS).blocks);
    assert.equal(success[0], "✅ 백업 작업 성공");
    assert.ok(success.includes("*리소스*\nvol-123456"));
    assert.ok(success.includes("*크기*\n100.0 GB"));
    assert.ok(success.includes("*메트릭*\n스냅샷 ID: snap-789\n파일 수: 1000/1000"));
    const failure = texts(buildPayload(SEED_FAILURE).blocks);
    assert.ok(failure.includes("*시각*\n2024-11-04 02:00:00"));
    assert.ok(failure.includes("*에러 메시지*\n```Database instance not found```"));
    assert.ok(failure.includes("⚠️ 즉시 확인이 필요합니다."));
  });

  it("must be accepted by the fake Slack for every kind of event and the test message", async () => {
    const payloads = [
      ...[SEED_SUCCESS, SEED_FAILURE, SEED_S3_WARNING, SEED_REPORT, SEED_CHECK_OK, SEED_CHECK_PROBLEM].map(
        (e) => buildPayload(e as DroxEvent),
      ),
      buildTestPayload(),
    ];
    for (const payload of payloads) {
      assertWithinLimits(payload);
      assert.deepEqual(await post(payload), { status: 200, body: "ok" });
    }
    assert.equal(slack.messages("main").length, payloads.length);
  });

  it("must cut a failed-jobs list too long for the blocks with a visible `… 외 N건`, and Slack must accept it", async () => {
    const report = manyFailed(5000);
    const payload = buildPayload(report);
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    const shown = all
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("• S3: ")).length;
    // ~100 characters a line in 9,000: the list fills the room and says how many are left out.
    assert.ok(shown >= 80, `${shown} shown`);
    assert.equal(all.at(-1), `… 외 ${5000 - shown}건`);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must show a list that fits in full, without a `외` line", () => {
    const all = texts(buildPayload(manyFailed(30)).blocks).join("\n");
    assert.equal(all.split("\n").filter((l) => l.startsWith("• S3: ")).length, 30);
    assert.ok(!all.includes("외"));
  });

  it("must cut a long findings list the same way and keep the call to action", async () => {
    const payload = buildPayload(manyFindings(3000));
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    assert.equal(all.at(-1), "⚠️ 즉시 확인이 필요합니다.");
    assert.match(all.at(-2)!, /^… 외 \d+건$/);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  // Issue 14: a check with many long findings or a report with many failed jobs held more than
  // Slack's 12,000 characters of block text, and the 400 was final.
  it("must keep a check with 400 long findings within Slack's total, with `… 외 N건` and the call to action", async () => {
    const check: IntegrityCheck = {
      ...SEED_CHECK_PROBLEM,
      findings: Array.from({ length: 400 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `arn:aws:s3:::drox-backup-bucket-${i}/objects/2024/11/04/${"x".repeat(40)}`,
        message: `백업 객체가 원본과 일치하지 않습니다 (ETag mismatch) ${"검증 실패 ".repeat(120)}`,
      })),
    };
    const payload = buildPayload(check);
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    const shown = all
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("• [심각] arn:aws:s3:::")).length;
    assert.ok(shown >= 10, `${shown} shown`);
    assert.equal(all.at(-2), `… 외 ${400 - shown}건`);
    assert.equal(all.at(-1), "⚠️ 즉시 확인이 필요합니다.");
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must keep a report with 300 failed jobs within Slack's total, with `… 외 N건`", async () => {
    const report: WeeklyReport = {
      ...manyFailed(300),
      failedJobs: manyFailed(300).failedJobs.map((job, i) => ({
        ...job,
        resource: `arn:aws:rds:ap-northeast-2:123456789012:db:${"production-database-".repeat(8)}${i}`,
      })),
    };
    const payload = buildPayload(report);
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    const shown = all
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("• S3: arn:aws:rds:")).length;
    assert.ok(shown >= 30, `${shown} shown`);
    assert.equal(all.at(-1), `… 외 ${300 - shown}건`);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must keep every value at its longest within Slack's total, cutting the longest with `…`", async () => {
    const link = `https://example.com/${"&".repeat(3000)}`;
    const result: BackupResult = {
      ...SEED_FAILURE,
      resource: "&".repeat(1024),
      error: { message: "E".repeat(10_000) },
      metrics: { snapshotId: "s".repeat(255), copySnapshotId: "c".repeat(255), copyRegion: "r".repeat(64) },
      links: { report: link, slackLog: link },
    };
    const check: IntegrityCheck = { ...manyFindings(400), links: { report: link, slackLog: link } };
    for (const payload of [buildPayload(result), buildPayload(check)]) {
      assertWithinLimits(payload);
      assert.deepEqual(await post(payload), { status: 200, body: "ok" });
    }
    const error = texts(buildPayload(result).blocks).find((t) => t.startsWith("*에러 메시지*"))!;
    assert.match(error, /^\*에러 메시지\*\n```E+…```$/);
    assert.match(texts(buildPayload(check).blocks).join("\n"), /… 외 \d+건/);
  });

  it("must cut a long error message with `…` inside one section", async () => {
    const result: BackupResult = { ...SEED_FAILURE, error: { message: "E".repeat(9_000) } };
    const payload = buildPayload(result);
    assertWithinLimits(payload);
    const section = texts(payload.blocks).find((t) => t.startsWith("*에러 메시지*"))!;
    assert.ok(section.endsWith("…```"));
    assert.equal(section.length, 3000);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must escape &, < and > as Slack requires, without cutting inside an entity", () => {
    assert.equal(escapeMrkdwn("a<b>&c"), "a&lt;b&gt;&amp;c");
    assert.equal(escapeMrkdwn("ab&&&", 8), "ab&amp;…");
    assert.equal(escapeMrkdwn("ab&&&", 7), "ab…");
    const result: BackupResult = { ...SEED_FAILURE, error: { message: "expected <id> & got none" } };
    const payload = buildPayload(result);
    assert.ok(payload.text.includes("expected &lt;id&gt; &amp; got none"));
    assert.ok(texts(payload.blocks).some((t) => t.includes("expected &lt;id&gt; &amp; got none")));
  });

  it("must keep the top-level text within 40,000 characters even when escaping grows it", async () => {
    const report = manyFailed(50);
    const evil: WeeklyReport = {
      ...report,
      failedJobs: report.failedJobs.map((j) => ({ ...j, resource: "&".repeat(1000) })),
    };
    const payload = buildPayload(evil);
    assert.ok(payload.text.length <= 40_000, `${payload.text.length}`);
    assert.ok(payload.text.endsWith("…"));
    assert.ok(!/&(a|am|l|g)?…$/.test(payload.text));
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  describe("every block, as Block Kit defines it, carrying the seed's labels", () => {
    // https://docs.slack.dev/reference/block-kit/blocks: header (plain_text), section (mrkdwn text or
    // fields), context (mrkdwn elements); each label is the seed's own text label, in bold.
    const fieldsOf = (pairs: [string, string][]) =>
      pairs.map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` }));
    const header = (text: string) => ({ type: "header", text: { type: "plain_text", text, emoji: true } });
    const context = (...lines: string[]) => ({
      type: "context",
      elements: lines.map((text) => ({ type: "mrkdwn", text })),
    });

    it("must render the seed's failure as header, fields, the error in a code block and the urgent line", () => {
      assert.deepEqual(buildPayload(SEED_FAILURE).blocks, [
        header("❌ 백업 작업 실패"),
        {
          type: "section",
          fields: fieldsOf([
            ["타입", "RDS"],
            ["리소스", "db-instance-1"],
            ["Job ID", SEED_FAILURE.jobId],
            ["시각", "2024-11-04 02:00:00"],
          ]),
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*에러 메시지*\n```Database instance not found```" },
        },
        context("⚠️ 즉시 확인이 필요합니다."),
      ]);
    });

    it("must render a WARNING result with its time, size in MB below 0.1 GB, the warning, metrics, review line and links", () => {
      const event: BackupResult = {
        ...SEED_S3_WARNING,
        metrics: { filesCopied: 998, filesTotal: 1000, filesFailed: 2, sizeBytes: 5 * 1024 ** 2 },
        links: { report: "https://example.com/r", slackLog: "https://example.com/s" },
      };
      assert.deepEqual(buildPayload(event).blocks, [
        header("⚠️ 백업 작업 경고"),
        {
          type: "section",
          fields: fieldsOf([
            ["타입", "S3"],
            ["리소스", "bucket-prod"],
            ["실행 시간", "5분"],
            ["Job ID", SEED_S3_WARNING.jobId],
            ["시각", "2024-11-04 03:00:00"],
            ["크기", "5.0 MB"],
          ]),
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*경고 내용*\n```2 objects could not be copied```" },
        },
        { type: "section", text: { type: "mrkdwn", text: "*메트릭*\n파일 수: 998/1000\n실패한 파일: 2" } },
        context(
          "⚠️ 점검이 필요합니다.",
          "리포트: https://example.com/r",
          "Slack 로그: https://example.com/s",
        ),
      ]);
    });

    it("must render the seed's weekly report as header, tallies, period and the failed jobs", () => {
      assert.deepEqual(buildPayload(SEED_REPORT).blocks, [
        header("📊 1주차 백업 리포트"),
        {
          type: "section",
          fields: fieldsOf([
            ["총 실행", "42건"],
            ["성공", "40건"],
            ["실패", "2건"],
            ["성공률", "✅ 95.2%"],
            ["평균 실행 시간", "38초"],
          ]),
        },
        context("기간: 2024-10-27 ~ 2024-11-03"),
        {
          type: "section",
          text: { type: "mrkdwn", text: "*실패한 작업*\n• EBS: vol-old-123\n• RDS: db-test-456" },
        },
      ]);
    });

    it("must render an integrity check with problems: fields, the findings list, then the urgent line", () => {
      assert.deepEqual(buildPayload(SEED_CHECK_PROBLEM).blocks, [
        header("🚨 보안 점검 이상 발견"),
        {
          type: "section",
          fields: fieldsOf([
            ["점검 ID", "check-2024-11-05"],
            ["시각", "2024-11-05 04:00:00"],
            ["점검 대상", "12개"],
            ["발견 사항", "2건"],
          ]),
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*발견 사항 목록*\n• [심각] snap-0abc: snapshot is not encrypted\n• [경고] drox-backup-bucket: versioning is suspended",
          },
        },
        context("⚠️ 즉시 확인이 필요합니다."),
      ]);
      const ok = buildPayload(SEED_CHECK_OK).blocks;
      assert.deepEqual(ok.slice(1), [
        {
          type: "section",
          fields: fieldsOf([
            ["점검 ID", "check-2024-11-04"],
            ["시각", "2024-11-04 04:00:00"],
            ["점검 대상", "12개"],
            ["결과", "이상 없음"],
          ]),
        },
      ]);
    });

    it("must render a failed restore with its source, region, time, error, metrics and urgent line", () => {
      const restore: RestoreEvent = {
        schema: "backup.restore.v1",
        restoreId: "01JCA0000000000000000RSTR2",
        type: "S3",
        resource: "logs",
        from: "s3://drox-backup-store/logs/2024/",
        at: "2024-11-03T15:00:00Z",
        target: "s3://logs-restored/",
        region: "ap-northeast-3",
        requestedBy: "bob",
        status: "FAILED",
        startedAt: "2024-11-04T02:00:00+09:00",
        finishedAt: "2024-11-04T02:00:09+09:00",
        durationSeconds: 9,
        metrics: { filesTotal: 10, filesCopied: 0, filesRefused: 2, filesFailed: 10 },
        error: { message: "Cannot list the destination bucket" },
      };
      assert.deepEqual(buildPayload(restore).blocks, [
        header("♻️ 복구 실패"),
        {
          type: "section",
          fields: fieldsOf([
            ["타입", "S3"],
            ["원본", "s3://drox-backup-store/logs/2024/ (2024-11-04 00:00:00 시점) · logs"],
            ["복구 대상", "s3://logs-restored/"],
            ["소요 시간", "9초"],
            ["실행자", "bob"],
            ["Restore ID", "01JCA0000000000000000RSTR2"],
            ["리전", "ap-northeast-3"],
            ["시각", "2024-11-04 02:00:00"],
          ]),
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*에러 메시지*\n```Cannot list the destination bucket```" },
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*메트릭*\n파일 수: 0/10\n덮어쓰지 않은 파일: 2\n실패한 파일: 10" },
        },
        context("⚠️ 즉시 확인이 필요합니다."),
      ]);
    });

    it("must render a failed drill: fields, the resources, the findings, then the urgent line", () => {
      const drill: Drill = {
        schema: "backup.drill.v1",
        drillId: "01JDRILL0000000000000000CD",
        startedAt: "2024-11-09T14:00:00.000Z",
        finishedAt: "2024-11-09T14:20:00.000Z",
        status: "FAILED",
        resources: [
          {
            type: "EBS",
            resource: "vol-1",
            snapshotId: "snap-2",
            status: "FAILED",
            secondsToRestore: 724,
            findings: [{ severity: "CRITICAL", resource: "vol-1", message: "restored volume is empty" }],
          },
        ],
        findings: [],
      };
      assert.deepEqual(buildPayload(drill).blocks, [
        header("🧪 복구 테스트 실패"),
        {
          type: "section",
          fields: fieldsOf([
            ["Drill ID", "01JDRILL0000000000000000CD"],
            ["시각", "2024-11-09 23:00:00"],
            ["복구 대상", "1개"],
            ["발견 사항", "1건"],
          ]),
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*복구 결과*\n• ❌ EBS: vol-1 (snap-2) — 복구 시간 12분 4초" },
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*발견 사항 목록*\n• [심각] vol-1: restored volume is empty" },
        },
        context("⚠️ 즉시 확인이 필요합니다."),
      ]);
    });

    it("must render the seed's success without a time field and with its size, metrics and no footer", () => {
      assert.deepEqual(buildPayload(SEED_SUCCESS).blocks, [
        header("✅ 백업 작업 성공"),
        {
          type: "section",
          fields: fieldsOf([
            ["타입", "EBS"],
            ["리소스", "vol-123456"],
            ["실행 시간", "45초"],
            ["Job ID", SEED_SUCCESS.jobId],
            ["크기", "100.0 GB"],
          ]),
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*메트릭*\n스냅샷 ID: snap-789\n파일 수: 1000/1000" },
        },
      ]);
    });

    it("must render a weekly report with warnings with its 경고 field", () => {
      const report: WeeklyReport = { ...SEED_REPORT, succeeded: 38, warnings: 2, successRate: 38 / 42 };
      assert.deepEqual(buildPayload(report).blocks[1], {
        type: "section",
        fields: fieldsOf([
          ["총 실행", "42건"],
          ["성공", "38건"],
          ["경고", "2건"],
          ["실패", "2건"],
          ["성공률", "⚠️ 90.5%"],
          ["평균 실행 시간", "38초"],
        ]),
      });
    });

    it("must render a WARNING check without a count of checked resources: findings, then the review line", () => {
      const check: IntegrityCheck = {
        ...SEED_CHECK_PROBLEM,
        status: "WARNING",
        checkedResources: undefined,
        findings: [SEED_CHECK_PROBLEM.findings[1]!],
      };
      assert.deepEqual(buildPayload(check).blocks, [
        header("⚠️ 보안 점검 주의 필요"),
        {
          type: "section",
          fields: fieldsOf([
            ["점검 ID", "check-2024-11-05"],
            ["시각", "2024-11-05 04:00:00"],
            ["발견 사항", "1건"],
          ]),
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*발견 사항 목록*\n• [경고] drox-backup-bucket: versioning is suspended",
          },
        },
        context("⚠️ 점검이 필요합니다."),
      ]);
    });

    const drill = (status: Drill["status"], withFinding: boolean): Drill => ({
      schema: "backup.drill.v1",
      drillId: "01JDRILL0000000000000000CD",
      startedAt: "2024-11-09T14:00:00.000Z",
      finishedAt: "2024-11-09T14:20:00.000Z",
      status,
      resources: [
        { type: "EBS", resource: "vol-1", snapshotId: "snap-2", status: "SUCCEEDED", findings: [] },
      ],
      findings: withFinding ? [{ severity: "WARNING", resource: "vol-0old", message: "left behind" }] : [],
    });

    it("must render a clean drill with 결과 이상 없음 and no footer, and a WARNING one with the review line", () => {
      const fieldsWith = (last: [string, string]) => ({
        type: "section",
        fields: fieldsOf([
          ["Drill ID", "01JDRILL0000000000000000CD"],
          ["시각", "2024-11-09 23:00:00"],
          ["복구 대상", "1개"],
          last,
        ]),
      });
      const resources = {
        type: "section",
        text: { type: "mrkdwn", text: "*복구 결과*\n• ✅ EBS: vol-1 (snap-2)" },
      };
      assert.deepEqual(buildPayload(drill("SUCCEEDED", false)).blocks, [
        header("🧪 복구 테스트 완료"),
        fieldsWith(["결과", "이상 없음"]),
        resources,
      ]);
      assert.deepEqual(buildPayload(drill("WARNING", true)).blocks, [
        header("🧪 복구 테스트 주의 필요"),
        fieldsWith(["발견 사항", "1건"]),
        resources,
        {
          type: "section",
          text: { type: "mrkdwn", text: "*발견 사항 목록*\n• [경고] vol-0old: left behind" },
        },
        context("⚠️ 점검이 필요합니다."),
      ]);
    });

    it("must share a drill's room between its resources and findings: half each when both are long, all of it otherwise", () => {
      const resources = Array.from({ length: 200 }, (_, i) => ({
        type: "EBS" as const,
        resource: `vol-${String(i).padStart(4, "0")}-${"r".repeat(80)}`,
        status: "SUCCEEDED" as const,
        findings: [],
      }));
      const findings = Array.from({ length: 200 }, (_, i) => ({
        severity: "WARNING" as const,
        resource: `vol-${i}`,
        message: "f".repeat(80),
      }));
      const lineCount = (blocks: SlackBlock[], prefix: string) =>
        texts(blocks)
          .join("\n")
          .split("\n")
          .filter((l) => l.startsWith(prefix)).length;
      const alone = buildPayload({ ...drill("SUCCEEDED", false), resources }).blocks;
      const both = buildPayload({ ...drill("WARNING", false), resources, findings }).blocks;
      for (const blocks of [alone, both]) assertWithinLimits({ text: "", blocks });
      // ~95 characters a resource line: alone they take (nearly) all of 9,000, beside findings half.
      const shownAlone = lineCount(alone, "• ✅ EBS: vol-");
      const shownBoth = lineCount(both, "• ✅ EBS: vol-");
      assert.ok(shownAlone >= 85, `${shownAlone}`);
      assert.ok(shownBoth <= 45 && shownBoth >= 40, `${shownBoth}`);
      assert.ok(lineCount(both, "• [경고] vol-") >= 40, "the findings get the other half");
    });

    it("must render a succeeded restore without time, error or footer, and a warning one with its 경고 내용 and review line", () => {
      const restore: RestoreEvent = {
        schema: "backup.restore.v1",
        restoreId: "01JCA0000000000000000RSTR1",
        type: "EBS",
        resource: "vol-1",
        from: "snap-1",
        target: "vol-9",
        requestedBy: "bob",
        status: "SUCCEEDED",
        startedAt: "2024-11-04T02:00:00+09:00",
        finishedAt: "2024-11-04T02:00:09+09:00",
        durationSeconds: 9,
      };
      const restoreFields = (...extra: [string, string][]) => ({
        type: "section",
        fields: fieldsOf([
          ["타입", "EBS"],
          ["원본", "snap-1 · vol-1"],
          ["복구 대상", "vol-9"],
          ["소요 시간", "9초"],
          ["실행자", "bob"],
          ["Restore ID", "01JCA0000000000000000RSTR1"],
          ...extra,
        ]),
      });
      assert.deepEqual(buildPayload(restore).blocks, [header("♻️ 복구 완료"), restoreFields()]);
      const warning: RestoreEvent = {
        ...restore,
        status: "WARNING",
        error: { message: "2 objects skipped" },
      };
      assert.deepEqual(buildPayload(warning).blocks, [
        header("♻️ 복구 경고"),
        restoreFields(["시각", "2024-11-04 02:00:00"]),
        { type: "section", text: { type: "mrkdwn", text: "*경고 내용*\n```2 objects skipped```" } },
        context("⚠️ 점검이 필요합니다."),
      ]);
    });

    it("must render the test message with the time and its zone", () => {
      const now = new Date("2024-11-03T17:00:00Z");
      assert.equal(
        buildTestPayload({ now, timeZone: "UTC" }).text,
        "🔔 DROX DevOps Backup 테스트 메시지\n\nSlack 연동이 정상적으로 설정되었습니다.\n시각: 2024-11-03 17:00:00",
      );
      assert.deepEqual(buildTestPayload({ now }).blocks, [
        header("🔔 DROX DevOps Backup 테스트 메시지"),
        { type: "section", text: { type: "mrkdwn", text: "Slack 연동이 정상적으로 설정되었습니다." } },
        context("시각: 2024-11-04 02:00:00 (Asia/Seoul)"),
      ]);
    });
  });
});
