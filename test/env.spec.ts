import assert from "node:assert/strict";
import { readInt, readNumber } from "../runtime/settings/env";
import { ConfigError } from "../runtime/contract/errors";

const DAYS = { default: 7, min: 1, max: 3650 } as const;
const RATE = { default: 0.95, min: 0, max: 1 } as const;

function messageOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.equal(error.retryable, false);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

describe("env: numeric environment variables", () => {
  describe("readInt", () => {
    it("must return the default when the variable is unset, empty or blank", () => {
      assert.equal(readInt({}, "RETENTION_DAYS", DAYS), 7);
      assert.equal(readInt({ RETENTION_DAYS: "" }, "RETENTION_DAYS", DAYS), 7);
      assert.equal(readInt({ RETENTION_DAYS: " \t\n" }, "RETENTION_DAYS", DAYS), 7);
    });

    it("must read decimal digits, trimmed, leading zeros included", () => {
      assert.equal(readInt({ RETENTION_DAYS: "14" }, "RETENTION_DAYS", DAYS), 14);
      assert.equal(readInt({ RETENTION_DAYS: "  30 " }, "RETENTION_DAYS", DAYS), 30);
      assert.equal(readInt({ RETENTION_DAYS: "007" }, "RETENTION_DAYS", DAYS), 7);
    });

    it("must accept both bounds and reject one past each", () => {
      assert.equal(readInt({ RETENTION_DAYS: "1" }, "RETENTION_DAYS", DAYS), 1);
      assert.equal(readInt({ RETENTION_DAYS: "3650" }, "RETENTION_DAYS", DAYS), 3650);
      assert.equal(
        messageOf(() => readInt({ RETENTION_DAYS: "0" }, "RETENTION_DAYS", DAYS)),
        'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "0")',
      );
      assert.equal(
        messageOf(() => readInt({ RETENTION_DAYS: "3651" }, "RETENTION_DAYS", DAYS)),
        'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "3651")',
      );
    });

    it("must accept 0 when the range starts at 0", () => {
      assert.equal(readInt({ PORT: "0" }, "PORT", { default: 8080, min: 0, max: 65_535 }), 0);
    });

    it("must reject words, signs, decimals, exponents and hex, quoting the trimmed value", () => {
      for (const bad of ["seven", "-1", "+5", "1.5", "7.0", "1e3", "0x10", "7 days", "Infinity", "NaN"]) {
        assert.equal(
          messageOf(() => readInt({ RETENTION_DAYS: ` ${bad} ` }, "RETENTION_DAYS", DAYS)),
          `RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "${bad}")`,
          bad,
        );
      }
    });

    it("must reject numbers too big for a double without losing the digits in the message", () => {
      assert.equal(
        messageOf(() => readInt({ RETENTION_DAYS: "99999999999999999999" }, "RETENTION_DAYS", DAYS)),
        'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "99999999999999999999")',
      );
    });

    it("must show the example when one is given instead of the default", () => {
      assert.equal(
        messageOf(() =>
          readInt({ TRUST_PROXY_HOPS: "many" }, "TRUST_PROXY_HOPS", {
            default: 0,
            min: 0,
            max: 10,
            example: 1,
          }),
        ),
        'TRUST_PROXY_HOPS must be a whole number from 0 to 10, e.g. 1 (got "many")',
      );
    });
  });

  describe("readNumber", () => {
    it("must return the default when the variable is unset, empty or blank", () => {
      assert.equal(readNumber({}, "SUCCESS_RATE_OK", RATE), 0.95);
      assert.equal(readNumber({ SUCCESS_RATE_OK: "" }, "SUCCESS_RATE_OK", RATE), 0.95);
      assert.equal(readNumber({ SUCCESS_RATE_OK: "   " }, "SUCCESS_RATE_OK", RATE), 0.95);
    });

    it("must read decimals, trimmed, and accept both bounds", () => {
      assert.equal(readNumber({ SUCCESS_RATE_OK: " 0.9 " }, "SUCCESS_RATE_OK", RATE), 0.9);
      assert.equal(readNumber({ SUCCESS_RATE_OK: ".5" }, "SUCCESS_RATE_OK", RATE), 0.5);
      assert.equal(readNumber({ SUCCESS_RATE_OK: "0" }, "SUCCESS_RATE_OK", RATE), 0);
      assert.equal(readNumber({ SUCCESS_RATE_OK: "1" }, "SUCCESS_RATE_OK", RATE), 1);
      assert.equal(readNumber({ SUCCESS_RATE_OK: "1.0" }, "SUCCESS_RATE_OK", RATE), 1);
    });

    it("must reject values out of range, non-numbers and infinities, quoting the value", () => {
      for (const bad of [
        "1.5",
        "-0.1",
        "1.0000001",
        "95%",
        "eighty",
        "Infinity",
        "-Infinity",
        "NaN",
        "1e400",
      ]) {
        assert.equal(
          messageOf(() => readNumber({ SUCCESS_RATE_OK: bad }, "SUCCESS_RATE_OK", RATE)),
          `SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "${bad}")`,
          bad,
        );
      }
    });

    it("must reject a huge number against a wide range", () => {
      assert.equal(
        messageOf(() =>
          readNumber({ SLACK_TIMEOUT_SECONDS: "1e21" }, "SLACK_TIMEOUT_SECONDS", {
            default: 5,
            min: 0.05,
            max: 60,
          }),
        ),
        'SLACK_TIMEOUT_SECONDS must be a number from 0.05 to 60, e.g. 5 (got "1e21")',
      );
    });
  });

  describe("what a message may quote", () => {
    const SENTINEL = "SentinelSecretValue4242";

    it("must never quote a value of a *_URL, *_TOKEN, *_SECRET, *_ARN, *_KEY or *_PASSWORD variable", () => {
      for (const name of ["SOME_URL", "SOME_TOKEN", "SOME_SECRET", "SOME_ARN", "SOME_KEY", "SOME_PASSWORD"]) {
        const env = { [name]: SENTINEL };
        assert.equal(
          messageOf(() => readInt(env, name, { default: 1, min: 0, max: 9 })),
          `${name} must be a whole number from 0 to 9, e.g. 1`,
        );
        assert.equal(
          messageOf(() => readNumber(env, name, { default: 1, min: 0, max: 9 })),
          `${name} must be a number from 0 to 9, e.g. 1`,
        );
      }
    });

    it("must not quote a value marked secret, whatever the variable's name", () => {
      const message = messageOf(() =>
        readInt({ ODD_SETTING: SENTINEL }, "ODD_SETTING", { default: 1, min: 0, max: 9, secret: true }),
      );
      assert.equal(message, "ODD_SETTING must be a whole number from 0 to 9, e.g. 1");
    });

    it("must quote a long value only by its first 40 characters, with quotes and newlines escaped", () => {
      const long = `${"x".repeat(50)}${SENTINEL}`;
      assert.equal(
        messageOf(() => readInt({ RETENTION_DAYS: long }, "RETENTION_DAYS", DAYS)),
        `RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "${"x".repeat(40)}…")`,
      );
      assert.equal(
        messageOf(() => readInt({ RETENTION_DAYS: 'a"b\nc' }, "RETENTION_DAYS", DAYS)),
        'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "a\\"b\\nc")',
      );
    });
  });
});
