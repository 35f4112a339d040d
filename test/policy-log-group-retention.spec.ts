import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { logGroupRetention } from "../policy/log-group-retention";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const group = fixture(aws.cloudwatch.LogGroup, "slack-logs", {
  name: "/aws/lambda/slack",
  retentionInDays: 30,
});
const withDays = (days: unknown) =>
  change(group, (p) => {
    p.retentionInDays = days;
  });

describe("policy log-group-retention", () => {
  it("must pass 7 to 731 days", async () => {
    for (const days of [7, 14, 30, 731]) {
      assert.deepEqual(
        (await runResourcePolicy(logGroupRetention, withDays(days))).violations,
        [],
        String(days),
      );
    }
  });

  it("must report a group without retention (kept forever) as mandatory", async () => {
    for (const days of [undefined, 0]) {
      const outcome = await runResourcePolicy(logGroupRetention, withDays(days));
      assert.equal(outcome.violations.length, 1);
      assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
      assert.equal(
        outcome.violations[0]!.message,
        "Set retentionInDays (one of 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731); without it the logs are kept forever.",
      );
    }
  });

  it("must report a retention below the minimum or above the maximum", async () => {
    const short = await runResourcePolicy(logGroupRetention, withDays(3));
    assert.match(short.violations[0]!.message, /^retentionInDays is 3, outside the allowed 7–731 days/);
    const long = await runResourcePolicy(logGroupRetention, withDays(3653));
    assert.match(long.violations[0]!.message, /^retentionInDays is 3653, outside/);
  });

  it("must apply the bounds from config", async () => {
    const config = { minimumRetentionDays: 30, maximumRetentionDays: 3653 };
    assert.equal((await runResourcePolicy(logGroupRetention, withDays(14), config)).violations.length, 1);
    assert.deepEqual((await runResourcePolicy(logGroupRetention, withDays(3653), config)).violations, []);
  });

  it("must leave a retention unknown at preview to the update", async () => {
    const outcome = await runResourcePolicy(logGroupRetention, withDays(UNKNOWN_STRING));
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must offer only the retention values CloudWatch accepts within the configured bounds", async () => {
    const config = { minimumRetentionDays: 30, maximumRetentionDays: 400 };
    assert.deepEqual(
      (await runResourcePolicy(logGroupRetention, withDays(14), config)).violations.map((v) => v.message),
      [
        "retentionInDays is 14, outside the allowed 30–400 days: use one of 30, 60, 90, 120, 150, 180, 365, 400.",
      ],
    );
    assert.deepEqual(
      (await runResourcePolicy(logGroupRetention, withDays(401), config)).violations.map((v) => v.message),
      [
        "retentionInDays is 401, outside the allowed 30–400 days: use one of 30, 60, 90, 120, 150, 180, 365, 400.",
      ],
    );
    for (const days of [30, 400]) {
      assert.deepEqual((await runResourcePolicy(logGroupRetention, withDays(days), config)).violations, []);
    }
  });
});
