import assert from "node:assert/strict";
import type { BackupResult, DroxEvent, IntegrityCheck, WeeklyReport } from "../runtime/contract/events";
import {
  buildPayload,
  buildTestPayload,
  escapeMrkdwn,
  MAX_BLOCKS,
  MAX_SECTION_TEXT,
  type SlackBlock,
  type SlackPayload,
} from "../runtime/slack/blocks";
import { formatMessage } from "../runtime/slack/messages";
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

function assertWithinLimits(payload: SlackPayload): void {
  assert.ok(
    payload.blocks.length >= 1 && payload.blocks.length <= MAX_BLOCKS,
    `${payload.blocks.length} blocks`,
  );
  for (const block of payload.blocks) {
    if (block.type === "section") {
      if (block.text)
        assert.ok(block.text.text.length <= MAX_SECTION_TEXT, `section ${block.text.text.length}`);
      assert.ok((block.fields ?? []).length <= 10);
      for (const f of block.fields ?? []) assert.ok(f.text.length <= 2000);
    }
    if (block.type === "header") assert.ok(block.text.text.length <= 150);
  }
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
    for (const event of [SEED_SUCCESS, SEED_FAILURE, SEED_REPORT] as DroxEvent[]) {
      assert.equal(buildPayload(event).text, formatMessage(event));
    }
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

  it("must cut a failed-jobs list too long for 50 blocks with a visible `… 외 N건`, and Slack must accept it", async () => {
    const report = manyFailed(5000);
    const payload = buildPayload(report);
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    const shown = all
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("• S3: ")).length;
    assert.ok(shown > 100, `${shown} shown`);
    assert.equal(all.at(-1), `… 외 ${5000 - shown}건`);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must show a list that fits in full, without a `외` line", () => {
    const all = texts(buildPayload(manyFailed(30)).blocks).join("\n");
    assert.equal(all.split("\n").filter((l) => l.startsWith("• S3: ")).length, 30);
    assert.ok(!all.includes("외"));
  });

  it("must cut a long findings list the same way and keep the call to action", async () => {
    const check: IntegrityCheck = {
      ...SEED_CHECK_PROBLEM,
      findings: Array.from({ length: 3000 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `snap-${i}`,
        message: "snapshot is not encrypted and has no DR copy in the secondary region",
      })),
    };
    const payload = buildPayload(check);
    assertWithinLimits(payload);
    const all = texts(payload.blocks);
    assert.equal(all.at(-1), "⚠️ 즉시 확인이 필요합니다.");
    assert.match(all.at(-2)!, /^… 외 \d+건$/);
    assert.deepEqual(await post(payload), { status: 200, body: "ok" });
  });

  it("must cut a long error message with `…` inside one section", async () => {
    const result: BackupResult = { ...SEED_FAILURE, error: { message: "E".repeat(9_000) } };
    const payload = buildPayload(result);
    assertWithinLimits(payload);
    const section = texts(payload.blocks).find((t) => t.startsWith("*에러 메시지*"))!;
    assert.ok(section.endsWith("…```"));
    assert.equal(section.length, MAX_SECTION_TEXT);
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
});
