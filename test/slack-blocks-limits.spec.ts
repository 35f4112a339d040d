import assert from "node:assert/strict";
import type { BackupResult, MonthlyReport, RestoreEvent, WeeklyReport } from "../runtime/contract/events";
import { parseEvent } from "../runtime/contract/events";
import {
  blocksTextLength,
  buildPayload,
  escapeMrkdwn,
  listBlocks,
  type SlackBlock,
} from "../runtime/slack/blocks";
import { SEED_FAILURE, SEED_REPORT } from "./fixtures/events";

/**
 * The cutting and fitting at and around each Slack limit, block by block. The limits are Block Kit's
 * (https://docs.slack.dev/reference/block-kit/blocks): a section's text 3,000 characters, a field
 * 2,000, a header 150, 10 context elements, 50 blocks a message; and the project's 9,000 characters
 * of block text in all, under the ~12,000 at which Slack answers `msg_blocks_too_long`
 * (https://github.com/slackapi/bolt-js/issues/2509, https://github.com/slackapi/bolt-js/issues/2867).
 * A list cut says how many lines it left out (`… 외 N건`); a text cut ends in `…`.
 */
const section = (text: string): SlackBlock => ({ type: "section", text: { type: "mrkdwn", text } });
const context = (...lines: string[]): SlackBlock => ({
  type: "context",
  elements: lines.map((text) => ({ type: "mrkdwn", text })),
});
const header = (text: string): SlackBlock => ({
  type: "header",
  text: { type: "plain_text", text, emoji: true },
});
const fields = (pairs: [string, string][]): SlackBlock => ({
  type: "section",
  fields: pairs.map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
});
const x = (n: number) => "x".repeat(n);

describe("Slack blocks at their limits", () => {
  describe("escapeMrkdwn", () => {
    it("must keep a text of exactly `max` characters whole and cut one more with `…` in the last place", () => {
      assert.equal(escapeMrkdwn("abc", 3), "abc");
      assert.equal(escapeMrkdwn("abcd", 3), "ab…");
      assert.equal(escapeMrkdwn("abc", 1), "…");
      assert.equal(escapeMrkdwn("a&b", 7), "a&amp;b");
      assert.equal(escapeMrkdwn("a&b", 6), "a…");
    });

    it("must never split a surrogate pair, and drop only the last character when it is not one", () => {
      // 😀 is two UTF-16 units; half of it is not text Slack can show.
      assert.equal(escapeMrkdwn("a😀b", 4), "a😀b");
      assert.equal(escapeMrkdwn("a😀b", 3), "a…");
      // Only an entity at the very end is dropped whole.
      assert.equal(escapeMrkdwn("&abc", 7), "&amp;a…");
      // U+FFFF is one unit: dropping it must not take the character before it too.
      assert.equal(escapeMrkdwn("\uffffab", 2), "\uffff…");
    });
  });

  describe("listBlocks", () => {
    it("must give no blocks for an empty list, or when one block or the title and `… 외 N건` cannot fit", () => {
      assert.deepEqual(listBlocks("t", [], 50), []);
      assert.deepEqual(listBlocks("t", ["a"], 1), []);
      assert.deepEqual(listBlocks("t", ["a"], 2), [section("*t*\na")]);
      // "*t*" is 3 characters and "… 외 1건" 6: 9 is the least room for a list of one.
      assert.deepEqual(listBlocks("t", ["abcdef"], 50, 9), [section("*t*"), context("… 외 1건")]);
      assert.deepEqual(listBlocks("t", ["abcdef"], 50, 8), []);
      assert.deepEqual(listBlocks("t", ["abc"], 50, 9), [section("*t*\nabc")]);
    });

    it("must escape the title", () => {
      assert.deepEqual(listBlocks("A&B", ["a"], 50), [section("*A&amp;B*\na")]);
    });

    it("must show a line only while the `… 외 N건` of the lines after it still fits the budget", () => {
      const lines = ["aa", "bb", "cc"];
      // Each shown line leaves room for "… 외 N건" (6) of the rest, the last needs none: 15 shows all 12.
      assert.deepEqual(listBlocks("t", lines, 50, 15), [section("*t*\naa\nbb\ncc")]);
      const cut = listBlocks("t", lines, 50, 14);
      assert.deepEqual(cut, [section("*t*\naa"), context("… 외 2건")]);
      assert.ok(blocksTextLength(cut) <= 14);
      // The last line reserves nothing: two lines fit in 3 + 3 + 3 = 9 of a budget of 12.
      assert.deepEqual(listBlocks("t", ["aa", "bb"], 50, 12), [section("*t*\naa\nbb")]);
    });

    it("must reserve as many digits as the count of lines left out has", () => {
      const lines = Array.from({ length: 10 }, () => "a");
      // After the first line, 9 are left: "… 외 9건" (6); before it, 10: "… 외 10건" (7).
      assert.deepEqual(listBlocks("t", lines, 50, 11), [section("*t*\na"), context("… 외 9건")]);
      assert.deepEqual(listBlocks("t", lines, 50, 10), [section("*t*"), context("… 외 10건")]);
      // The second line reserves for the 8 after it (6), not more: 13 shows two.
      assert.deepEqual(listBlocks("t", lines, 50, 13), [section("*t*\na\na"), context("… 외 8건")]);
    });

    it("must cut a line longer than 500 characters with `…` and keep one of 500", () => {
      assert.deepEqual(listBlocks("t", [x(500), x(501)], 50), [section(`*t*\n${x(500)}\n${x(499)}…`)]);
    });

    it("must fill a section up to exactly 3,000 characters and start a new one past it", () => {
      const five = Array.from({ length: 5 }, () => x(499));
      // "*t*" + 5 × (1 + 499) = 2,503; a line of 496 makes 3,000.
      const full = `*t*\n${five.join("\n")}`;
      assert.deepEqual(listBlocks("t", [...five, x(496)], 50), [section(`${full}\n${x(496)}`)]);
      assert.deepEqual(listBlocks("t", [...five, x(497)], 50), [section(full), section(x(497))]);
    });

    it("must use at most `maxBlocks` blocks, keeping the last for `… 외 N건`", () => {
      const lines = Array.from({ length: 12 }, () => x(500));
      const five = (from: number) => lines.slice(from, from + 5).join("\n");
      // Five lines of 500 fill a section: 3 + 5 × 501 = 2,508, a sixth would make 3,009.
      assert.deepEqual(listBlocks("t", lines, 2), [section(`*t*\n${five(0)}`), context("… 외 7건")]);
      assert.deepEqual(listBlocks("t", lines, 3), [
        section(`*t*\n${five(0)}`),
        section(five(5)),
        context("… 외 2건"),
      ]);
      assert.deepEqual(listBlocks("t", lines, 4), [
        section(`*t*\n${five(0)}`),
        section(five(5)),
        section(lines.slice(10).join("\n")),
      ]);
    });

    it("must count the lines of a new section against the character budget", () => {
      const lines = Array.from({ length: 8 }, () => x(500));
      // 2,508 in the first section, then 500 + 2 × 501 = 1,502 in the second: 4,010 in all.
      const all = listBlocks("t", lines, 50, 4010);
      assert.deepEqual(all, [
        section(`*t*\n${lines.slice(0, 5).join("\n")}`),
        section(lines.slice(5).join("\n")),
      ]);
      assert.equal(blocksTextLength(all), 4010);
      assert.deepEqual(listBlocks("t", lines, 50, 4009), [
        section(`*t*\n${lines.slice(0, 5).join("\n")}`),
        section(lines.slice(5, 7).join("\n")),
        context("… 외 1건"),
      ]);
    });
  });

  describe("blocksTextLength", () => {
    it("must add the text of headers, sections (text and fields) and context elements, and nothing for a divider", () => {
      const blocks: SlackBlock[] = [
        header("abc"),
        section("defg"),
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: "hi" },
            { type: "mrkdwn", text: "jkl" },
          ],
        },
        {
          type: "section",
          text: { type: "mrkdwn", text: "m" },
          fields: [{ type: "mrkdwn", text: "no" }],
        },
        context("pq", "rst"),
        { type: "divider" },
      ];
      assert.equal(blocksTextLength(blocks), 3 + 4 + 2 + 3 + 1 + 2 + 2 + 3);
      assert.equal(blocksTextLength([]), 0);
    });
  });

  describe("payloads fitted to 9,000 characters of block text", () => {
    const longLinks = {
      report: `https://example.com/${x(1990)}`,
      slackLog: `https://example.com/${x(1990)}`,
    };
    // A context element is held to 2,000: "리포트: " and "Slack 로그: " take 5 and 10 of them.
    const linkLines = [
      `리포트: https://example.com/${x(1974)}…`,
      `Slack 로그: https://example.com/${x(1969)}…`,
    ];

    it("must cut a field value to 2,000 characters with whole entities, and a link to 2,000", () => {
      const result: BackupResult = {
        ...SEED_FAILURE,
        error: undefined,
        resource: "&".repeat(1024),
        links: longLinks,
      };
      // "*리소스*\n" is 6: 398 entities and "…" make 1,997; a 399th would make 2,002.
      assert.deepEqual(buildPayload(result).blocks, [
        header("❌ 백업 작업 실패"),
        fields([
          ["타입", "RDS"],
          ["리소스", `${"&amp;".repeat(398)}…`],
          ["Job ID", SEED_FAILURE.jobId],
          ["시각", "2024-11-04 02:00:00"],
        ]),
        context("⚠️ 즉시 확인이 필요합니다.", ...linkLines),
      ]);
    });

    it("must cut the longest text, the error, by exactly what the blocks hold over 9,000, keeping its code fence", () => {
      const base: BackupResult = { ...SEED_FAILURE, resource: "&".repeat(1024), links: longLinks };
      const head = [
        header("❌ 백업 작업 실패"),
        fields([
          ["타입", "RDS"],
          ["리소스", `${"&amp;".repeat(398)}…`],
          ["Job ID", SEED_FAILURE.jobId],
          ["시각", "2024-11-04 02:00:00"],
        ]),
      ];
      const foot = context("⚠️ 즉시 확인이 필요합니다.", ...linkLines);
      // Without the error the blocks hold 10 + 8 + 1,997 + 35 + 24 + 16 + 2 × 2,000 = 6,090: the
      // error's section gets 2,910 of its 3,000.
      const cut = buildPayload({ ...base, error: { message: "E".repeat(10_000) } });
      assert.deepEqual(cut.blocks, [
        ...head,
        section(`*에러 메시지*\n\`\`\`${"E".repeat(2894)}…\`\`\``),
        foot,
      ]);
      assert.equal(blocksTextLength(cut.blocks), 9000);
      // Entities stay whole: 578 of them (12 + 2,890 + "…```") are the most that fit in 2,910.
      const entities = buildPayload({ ...base, error: { message: "&".repeat(10_000) } });
      assert.deepEqual(entities.blocks, [
        ...head,
        section(`*에러 메시지*\n\`\`\`${"&amp;".repeat(578)}…\`\`\``),
        foot,
      ]);
      // Three backticks inside the message would close the code block early.
      const fenced = buildPayload({ ...SEED_FAILURE, error: { message: "a```b" } });
      assert.deepEqual(fenced.blocks[2], section("*에러 메시지*\n```a'''b```"));
    });

    it("must cut a code block that is only a few characters over, fence and all", () => {
      // The Slack log link 87 characters shorter than above: 9,003 characters, 3 over.
      const result: BackupResult = {
        ...SEED_FAILURE,
        resource: "&".repeat(1024),
        error: { message: "E".repeat(10_000) },
        links: { ...longLinks, slackLog: `https://example.com/${x(1883)}` },
      };
      const blocks = buildPayload(result).blocks;
      assert.deepEqual(blocks[2], section(`*에러 메시지*\n\`\`\`${"E".repeat(2981)}…\`\`\``));
      assert.equal(blocksTextLength(blocks), 9000);
    });

    it("must leave a result within 9,000 characters as it is", () => {
      const result: BackupResult = {
        ...SEED_FAILURE,
        error: { message: "E".repeat(2000) },
        links: longLinks,
      };
      const blocks = buildPayload(result).blocks;
      assert.deepEqual(blocks[2], section(`*에러 메시지*\n\`\`\`${"E".repeat(2000)}\`\`\``));
      assert.ok(blocksTextLength(blocks) < 9000);
    });

    const restore = (over: Partial<RestoreEvent> = {}): RestoreEvent => ({
      schema: "backup.restore.v1",
      restoreId: "01JCA0000000000000000RSTR2",
      type: "S3",
      resource: "logs",
      from: "f".repeat(2048),
      target: "t".repeat(2048),
      requestedBy: "bob",
      status: "FAILED",
      startedAt: "2024-11-04T02:00:00+09:00",
      finishedAt: "2024-11-04T02:00:09+09:00",
      durationSeconds: 9,
      error: { message: "E".repeat(10_000) },
      links: longLinks,
      ...over,
    });

    // Issue 16: a restore's blocks were never fitted; with its longest values they held ~13,000
    // characters, and Slack refuses more than ~12,000 with msg_blocks_too_long.
    it("must fit a restore with its longest values in 9,000 characters, cutting the error first", () => {
      const event = restore();
      assert.deepEqual(parseEvent(event), event);
      const blocks = buildPayload(event).blocks;
      // "*원본*\n" and "*복구 대상*\n" are 5 and 8 characters: both values are cut to fill 2,000.
      const fixed = [
        header("♻️ 복구 실패"),
        fields([
          ["타입", "S3"],
          ["원본", `${"f".repeat(1994)}…`],
          ["복구 대상", `${"t".repeat(1991)}…`],
          ["소요 시간", "9초"],
          ["실행자", "bob"],
          ["Restore ID", "01JCA0000000000000000RSTR2"],
          ["시각", "2024-11-04 02:00:00"],
        ]),
      ];
      assert.deepEqual(blocks.slice(0, 2), fixed);
      assert.deepEqual(blocks[3], context("⚠️ 즉시 확인이 필요합니다.", ...linkLines));
      const error = blocks[2];
      assert.ok(error?.type === "section" && error.text);
      assert.match(error.text.text, /^\*에러 메시지\*\n```E+…```$/);
      assert.equal(blocksTextLength(blocks), 9000);
    });

    it("must cut the next longest texts, never below 200 characters each, when cutting the error is not enough", () => {
      const event = restore({
        resource: "&".repeat(1024),
        requestedBy: "&".repeat(512),
        region: "r".repeat(64),
      });
      assert.deepEqual(parseEvent(event), event);
      const blocks = buildPayload(event).blocks;
      assert.ok(blocksTextLength(blocks) <= 9000, `${blocksTextLength(blocks)}`);
      // 13,170 characters before: the error (3,000) goes to 200 first, still a closed code block;
      // the remaining 1,370 come off the first of the 2,000-character texts in block order, 원본.
      assert.deepEqual(blocks, [
        header("♻️ 복구 실패"),
        fields([
          ["타입", "S3"],
          ["원본", `${"f".repeat(624)}…`],
          ["복구 대상", `${"t".repeat(1991)}…`],
          ["소요 시간", "9초"],
          ["실행자", `${"&amp;".repeat(398)}…`],
          ["Restore ID", "01JCA0000000000000000RSTR2"],
          ["리전", "r".repeat(64)],
          ["시각", "2024-11-04 02:00:00"],
        ]),
        section(`*에러 메시지*\n\`\`\`${"E".repeat(184)}…\`\`\``),
        context("⚠️ 즉시 확인이 필요합니다.", ...linkLines),
      ]);
      assert.equal(blocksTextLength(blocks), 9000);
    });

    it("must cut a link that merely ends in three backticks as plain text, not as a code block", () => {
      // 원본 and 복구 대상 hold 1,999 characters, the links 2,000: after the error, the report link is
      // the longest text, and 13,099 − 9,000 − 2,800 = 1,299 characters come off it.
      const event = restore({
        from: "f".repeat(1987),
        target: "t".repeat(1991),
        requestedBy: "&".repeat(512),
        links: { report: `https://example.com/${x(1972)}\`\`\``, slackLog: `https://example.com/${x(1970)}` },
      });
      assert.deepEqual(parseEvent(event), event);
      const blocks = buildPayload(event).blocks;
      assert.deepEqual(
        blocks.at(-1),
        context(
          "⚠️ 즉시 확인이 필요합니다.",
          `리포트: https://example.com/${x(675)}…`,
          `Slack 로그: https://example.com/${x(1970)}`,
        ),
      );
      assert.equal(blocksTextLength(blocks), 9000);
    });
  });

  describe("the reports' blocks", () => {
    // test/reports-monthly.spec.ts: November 2024 in Seoul, the seed's labels over a month.
    const NOVEMBER: MonthlyReport = {
      schema: "backup.monthly-report.v1",
      reportId: "monthly-2024-11",
      month: "2024-11",
      periodStart: "2024-11-01T00:00:00+09:00",
      periodEnd: "2024-11-30T23:59:59+09:00",
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
      links: { report: "https://example.com/r", slackLog: "https://example.com/s" },
    };

    it("must render the monthly report as header, tallies, per type, week by week, period and links, then the failed jobs", () => {
      assert.deepEqual(buildPayload(NOVEMBER).blocks, [
        header("📊 2024년 11월 백업 리포트"),
        fields([
          ["총 실행", "5건"],
          ["성공", "3건"],
          ["경고", "1건"],
          ["실패", "1건"],
          ["성공률", "❌ 60.0%"],
          ["평균 실행 시간", "1분"],
        ]),
        section(
          "*타입별*\n• EBS: 2건, 성공률 ✅ 100.0%\n• RDS: 2건, 성공률 ❌ 50.0%\n• S3: 1건, 성공률 ❌ 0.0%",
        ),
        section(
          [
            "*주차별*",
            "• 1주차: 1건, 성공률 ✅ 100.0%",
            "• 2주차: 2건, 성공률 ❌ 50.0%",
            "• 3주차: 1건, 성공률 ❌ 0.0%",
            "• 4주차: 0건, 성공률 - (실행 없음)",
            "• 5주차: 1건, 성공률 ✅ 100.0%",
          ].join("\n"),
        ),
        context(
          "기간: 2024-11-01 ~ 2024-11-30",
          "리포트: https://example.com/r",
          "Slack 로그: https://example.com/s",
        ),
        section("*실패한 작업*\n• RDS: db-test-456"),
      ]);
    });

    it("must leave out the warnings field, the per-type section and the failed jobs when there are none", () => {
      const quiet: MonthlyReport = {
        ...NOVEMBER,
        total: 1,
        succeeded: 1,
        warnings: 0,
        failed: 0,
        successRate: 1,
        averageDurationSeconds: 45,
        failedJobs: [],
        byType: [],
        weeks: [{ weekLabel: "1주차", total: 1, succeeded: 1, warnings: 0, failed: 0, successRate: 1 }],
        links: undefined,
      };
      assert.deepEqual(buildPayload(quiet).blocks, [
        header("📊 2024년 11월 백업 리포트"),
        fields([
          ["총 실행", "1건"],
          ["성공", "1건"],
          ["실패", "0건"],
          ["성공률", "✅ 100.0%"],
          ["평균 실행 시간", "45초"],
        ]),
        section("*주차별*\n• 1주차: 1건, 성공률 ✅ 100.0%"),
        context("기간: 2024-11-01 ~ 2024-11-30"),
      ]);
    });

    /** 100-character lines: the list must fill the room the rest leaves, and not one line more. */
    function assertListFillsTheRoom(blocks: SlackBlock[], total: number): void {
      const last = blocks.at(-1);
      assert.ok(last?.type === "context");
      const left = Number(/^… 외 (\d+)건$/.exec(last.elements[0]!.text)?.[1]);
      const shown = blocks
        .flatMap((b) => (b.type === "section" && b.text ? b.text.text.split("\n") : []))
        .filter((l) => l.startsWith("• S3: b-")).length;
      assert.equal(shown + left, total);
      const used = blocksTextLength(blocks);
      assert.ok(used <= 9000, `${used}`);
      // One more line (a newline and 100 characters) with the count of the rest would not fit.
      assert.ok(
        used + 1 + 100 + `… 외 ${left - 1}건`.length - last.elements[0]!.text.length > 9000,
        `${used}`,
      );
    }
    const jobs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: "S3" as const,
        resource: `b-${String(i).padStart(4, "0")}-${x(87)}`,
        jobId: `job-${i}`,
      }));

    it("must give the monthly report's failed jobs all the room its other blocks leave of 9,000", () => {
      const report: MonthlyReport = {
        ...NOVEMBER,
        total: 300,
        succeeded: 0,
        warnings: 0,
        failed: 300,
        failedJobs: jobs(300),
      };
      assert.equal(`• S3: ${report.failedJobs[0]!.resource}`.length, 100);
      const blocks = buildPayload(report).blocks;
      assert.deepEqual(blocks.slice(2, 5), buildPayload(NOVEMBER).blocks.slice(2, 5));
      assertListFillsTheRoom(blocks, 300);
    });

    it("must give the weekly report's failed jobs all the room its other blocks leave, after the trend line", () => {
      const report: WeeklyReport = {
        ...SEED_REPORT,
        total: 300,
        succeeded: 0,
        warnings: 0,
        failed: 300,
        successRate: 0,
        failedJobs: jobs(300),
        recentSuccessRates: [1, null, 0],
      };
      const blocks = buildPayload(report).blocks;
      // One bar a week, oldest first: 100 % is █, a week without runs ·, 0 % ▁.
      assert.deepEqual(blocks[3], context("성공률 추이 (최근 3주): █·▁"));
      assertListFillsTheRoom(blocks, 300);
      assert.equal(buildPayload({ ...report, recentSuccessRates: [] }).blocks[3]?.type, "section");
    });
  });
});
