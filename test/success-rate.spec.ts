import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../runtime/contract/errors";
import type { WeeklyReport } from "../runtime/contract/events";
import { pageBlocks } from "../runtime/notion/blocks";
import { thresholdsFromEnv } from "../runtime/notion/index";
import { mapEvent } from "../runtime/notion/mapping";
import { formatMessage } from "../runtime/slack/messages";
import { readSlackSettings } from "../runtime/slack/settings";
import {
  DEFAULT_THRESHOLDS,
  type SuccessLevel,
  type Thresholds,
  displayedRate,
  formatSuccessRate,
  readThresholds,
  successLevel,
} from "../runtime/settings/success-rate";
import { SEED_REPORT } from "./fixtures/events";

/** The rate a reader gets back from the text, in per mille so no float division blurs it: "95.0%" → 950/1000. */
const fromShown = (text: string): number => Number(/^(\d+)\.(\d)%$/.exec(text)!.slice(1).join("")) / 1000;

describe("success rate: one level for Slack and Notion", () => {
  describe("successLevel, judged on the rate as displayed", () => {
    it("must default to ✅ at 95% and ⚠️ at 80%", () => {
      assert.deepEqual({ ...DEFAULT_THRESHOLDS }, { ok: 0.95, warn: 0.8 });
    });

    it("must rate 0.9496 ok, since it reads 95.0% (the raw ratio is below 0.95)", () => {
      assert.equal(formatSuccessRate(0.9496), "95.0%");
      assert.equal(successLevel(0.9496), "ok");
    });

    it("must place the boundaries where the displayed percent crosses them", () => {
      const cases: [number, string, SuccessLevel][] = [
        [1, "100.0%", "ok"],
        [0.95, "95.0%", "ok"],
        // 0.9495 as a double is 0.949500000000000010…: ×1000 gives 949.5, rounded up to 95.0%.
        [0.9495, "95.0%", "ok"],
        [1899 / 2000, "95.0%", "ok"],
        [0.94949, "94.9%", "warn"],
        [0.9494, "94.9%", "warn"],
        [0.8, "80.0%", "warn"],
        // 0.7995 is 0.799499999999999988… as a double, yet ×1000 rounds to exactly 799.5 → 80.0%.
        [0.7995, "80.0%", "warn"],
        [0.79949, "79.9%", "bad"],
        [0, "0.0%", "bad"],
      ];
      for (const [rate, shown, level] of cases) {
        assert.equal(formatSuccessRate(rate), shown, `shown ${rate}`);
        assert.equal(successLevel(rate, DEFAULT_THRESHOLDS), level, `level ${rate}`);
      }
    });

    it("must follow the display even where floating point rounds a half down", () => {
      // 0.5095 × 1000 is 509.49999999999994 in binary floating point: shown 50.9%, so not ≥ 51%.
      const t: Thresholds = { ok: 0.51, warn: 0.5 };
      assert.equal(formatSuccessRate(0.5095), "50.9%");
      assert.equal(successLevel(0.5095, t), "warn");
      assert.equal(formatSuccessRate(0.5105), "51.0%");
      assert.equal(successLevel(0.5105, t), "ok");
    });

    it("must give every rate the level of the number it is shown as", () => {
      const permille = fc.integer({ min: 0, max: 1000 });
      fc.assert(
        fc.property(fc.double({ min: 0, max: 1, noNaN: true }), permille, permille, (rate, a, b) => {
          const t = { ok: Math.max(a, b) / 1000, warn: Math.min(a, b) / 1000 };
          const shown = fromShown(formatSuccessRate(rate));
          assert.equal(displayedRate(rate), shown);
          assert.equal(successLevel(rate, t), successLevel(shown, t));
        }),
        { numRuns: 2000 },
      );
    });

    it("must never rate a higher success rate worse", () => {
      const rank: Record<SuccessLevel, number> = { bad: 0, warn: 1, ok: 2 };
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (x, y) => {
            const [lo, hi] = x <= y ? [x, y] : [y, x];
            assert.ok(rank[successLevel(lo)] <= rank[successLevel(hi)], `${lo} vs ${hi}`);
          },
        ),
        { numRuns: 2000 },
      );
    });
  });

  describe("readThresholds (SUCCESS_RATE_OK / SUCCESS_RATE_WARN)", () => {
    it("must default to 0.95 / 0.80 when unset or blank", () => {
      assert.deepEqual(readThresholds({}), { ok: 0.95, warn: 0.8 });
      assert.deepEqual(readThresholds({ SUCCESS_RATE_OK: " ", SUCCESS_RATE_WARN: "" }), {
        ok: 0.95,
        warn: 0.8,
      });
    });

    it("must read both values, and allow WARN equal to OK", () => {
      assert.deepEqual(readThresholds({ SUCCESS_RATE_OK: "0.99", SUCCESS_RATE_WARN: " 0.9 " }), {
        ok: 0.99,
        warn: 0.9,
      });
      assert.deepEqual(readThresholds({ SUCCESS_RATE_OK: "0.9", SUCCESS_RATE_WARN: "0.9" }), {
        ok: 0.9,
        warn: 0.9,
      });
    });

    it("must reject a value that is not a rate from 0 to 1, naming the variable", () => {
      const bad: [NodeJS.ProcessEnv, string][] = [
        [{ SUCCESS_RATE_OK: "1.5" }, 'SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "1.5")'],
        [{ SUCCESS_RATE_OK: "95%" }, 'SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "95%")'],
        [
          { SUCCESS_RATE_WARN: "eighty" },
          'SUCCESS_RATE_WARN must be a number from 0 to 1, e.g. 0.8 (got "eighty")',
        ],
        [
          { SUCCESS_RATE_WARN: "-0.1" },
          'SUCCESS_RATE_WARN must be a number from 0 to 1, e.g. 0.8 (got "-0.1")',
        ],
        [
          { SUCCESS_RATE_OK: "Infinity" },
          'SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "Infinity")',
        ],
      ];
      for (const [env, message] of bad) {
        assert.throws(
          () => readThresholds(env),
          (error: unknown) => error instanceof ConfigError && !error.retryable && error.message === message,
          message,
        );
      }
    });

    it("must reject WARN above OK, naming both", () => {
      assert.throws(
        () => readThresholds({ SUCCESS_RATE_OK: "0.7", SUCCESS_RATE_WARN: "0.8" }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message === "SUCCESS_RATE_WARN (0.8) must not be greater than SUCCESS_RATE_OK (0.7)",
      );
      // Against the default OK too: WARN alone can break the pair.
      assert.throws(
        () => readThresholds({ SUCCESS_RATE_WARN: "0.96" }),
        /SUCCESS_RATE_WARN \(0\.96\).*SUCCESS_RATE_OK \(0\.95\)/,
      );
    });

    it("must be what the Slack notifier's and the Notion logger's settings read, errors included", async () => {
      // Expected values from the README's table (defaults 0.95 / 0.80, range 0..1, WARN ≤ OK), not
      // from the shared reader: each side is read through its own entry point.
      const SLACK_WEBHOOK_URL = "http://127.0.0.1:9/services/T0FAKE/B0FAKE/main";
      const cases: [NodeJS.ProcessEnv, Thresholds | string][] = [
        [{}, { ok: 0.95, warn: 0.8 }],
        [
          { SUCCESS_RATE_OK: "0.99", SUCCESS_RATE_WARN: "0.9" },
          { ok: 0.99, warn: 0.9 },
        ],
        [{ SUCCESS_RATE_OK: "abc" }, 'SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "abc")'],
        [
          { SUCCESS_RATE_OK: "0.5", SUCCESS_RATE_WARN: "0.9" },
          "SUCCESS_RATE_WARN (0.9) must not be greater than SUCCESS_RATE_OK (0.5)",
        ],
      ];
      const slack = async (env: NodeJS.ProcessEnv): Promise<Thresholds> =>
        (await readSlackSettings({ ...env, SLACK_WEBHOOK_URL })).thresholds;
      const notion = async (env: NodeJS.ProcessEnv): Promise<Thresholds> => thresholdsFromEnv(env);
      for (const [env, expected] of cases) {
        for (const [side, read] of [
          ["Slack", slack],
          ["Notion", notion],
        ] as const) {
          if (typeof expected === "string") {
            await assert.rejects(
              read(env),
              (error: unknown) => error instanceof ConfigError && error.message === expected,
              `${side} ${JSON.stringify(env)}`,
            );
          } else {
            assert.deepEqual(await read(env), expected, `${side} ${JSON.stringify(env)}`);
          }
        }
      }
    });
  });

  describe("Slack and Notion agree on every weekly report", () => {
    const STATUS_BY_EMOJI: Record<string, { status: string; health: string }> = {
      "✅": { status: "✅ 완료", health: "정상" },
      "⚠️": { status: "⚠️ 점검필요", health: "주의" },
      "❌": { status: "❌ 실패", health: "이상" },
    };

    function assertAgree(rate: number, thresholds: Thresholds): void {
      const report: WeeklyReport = { ...SEED_REPORT, successRate: rate };
      const line = formatMessage(report, { thresholds })
        .split("\n")
        .find((l) => l.startsWith("성공률: "));
      const match = /^성공률: (✅|⚠️|❌) (\d+\.\d%)$/u.exec(line ?? "");
      assert.ok(match, `Slack line for ${rate}: ${line}`);
      const [, emoji, percent] = match;
      const row = mapEvent(report, { thresholds });
      assert.deepEqual(
        { status: row.status, health: row.health },
        STATUS_BY_EMOJI[emoji!],
        `rate ${rate} shown ${percent}`,
      );
      const body = JSON.stringify(pageBlocks(report));
      assert.ok(body.includes(`성공률: ${percent}`), `Notion page shows ${percent} for ${rate}`);
    }

    it("must agree for every 0.0001 from 0.75 to 1 at the default and at custom thresholds", () => {
      const thresholdSets: Thresholds[] = [
        DEFAULT_THRESHOLDS,
        { ok: 0.99, warn: 0.9 },
        { ok: 0.875, warn: 0.8 },
      ];
      for (const thresholds of thresholdSets) {
        for (let i = 7500; i <= 10_000; i++) assertAgree(i / 10_000, thresholds);
      }
    });

    it("must agree for every succeeded/total ratio of up to 400 runs", () => {
      for (let total = 1; total <= 400; total++) {
        for (let succeeded = Math.floor(total * 0.75); succeeded <= total; succeeded++) {
          assertAgree(succeeded / total, DEFAULT_THRESHOLDS);
        }
      }
    });
  });
});
