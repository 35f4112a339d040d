import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { scheduleRetryAndDlq } from "../policy/schedule-retry-and-dlq";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const schedule = fixture(aws.scheduler.Schedule, "weekly-report", {
  scheduleExpression: "cron(0 9 ? * SUN *)",
  scheduleExpressionTimezone: "Asia/Seoul",
  flexibleTimeWindow: { mode: "OFF" },
  target: {
    arn: "arn:aws:ecs:ap-northeast-2:123456789012:cluster/drox",
    roleArn: "arn:aws:iam::123456789012:role/scheduler",
    retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
    deadLetterConfig: { arn: "arn:aws:sqs:ap-northeast-2:123456789012:schedules-dlq" },
  },
});
const editTarget = (edit: (target: Record<string, unknown>) => void) =>
  change(schedule, (p) => edit(p.target as Record<string, unknown>));

describe("policy schedule-retry-and-dlq", () => {
  it("must pass a schedule with a retry policy and a dead-letter queue", async () => {
    assert.deepEqual((await runResourcePolicy(scheduleRetryAndDlq, schedule)).violations, []);
  });

  it("must pass a dead-letter queue ARN unknown at preview, and a retry policy with the default attempts", async () => {
    const preview = editTarget((t) => {
      t.deadLetterConfig = { arn: UNKNOWN_STRING };
      t.retryPolicy = { maximumEventAgeInSeconds: 3600 };
    });
    const outcome = await runResourcePolicy(scheduleRetryAndDlq, preview);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must report a schedule without a retry policy as mandatory", async () => {
    const outcome = await runResourcePolicy(
      scheduleRetryAndDlq,
      editTarget((t) => delete t.retryPolicy),
    );
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.match(outcome.violations[0]!.message, /^Add target\.retryPolicy: \{ maximumRetryAttempts: 3/);
  });

  it("must report zero retries, or fewer than the configured minimum", async () => {
    const none = editTarget((t) => {
      t.retryPolicy = { maximumRetryAttempts: 0 };
    });
    assert.match(
      (await runResourcePolicy(scheduleRetryAndDlq, none)).violations[0]!.message,
      /is 0; set it to at least 1/,
    );
    const outcome = await runResourcePolicy(scheduleRetryAndDlq, schedule, { minimumRetryAttempts: 5 });
    assert.match(outcome.violations[0]!.message, /is 3; set it to at least 5/);
  });

  it("must report a schedule without a dead-letter queue", async () => {
    const outcome = await runResourcePolicy(
      scheduleRetryAndDlq,
      editTarget((t) => delete t.deadLetterConfig),
    );
    assert.equal(outcome.violations.length, 1);
    assert.match(outcome.violations[0]!.message, /^Add target\.deadLetterConfig: \{ arn: <SQS queue ARN> \}/);
  });

  it("must tell the retry policy to add, with at least 3 attempts or the configured minimum", async () => {
    const noRetry = editTarget((t) => delete t.retryPolicy);
    const message = (attempts: number): string =>
      `Add target.retryPolicy: { maximumRetryAttempts: ${attempts}, maximumEventAgeInSeconds: 3600 } so a ` +
      "throttled or failed start is retried (without it the scheduler's defaults apply silently).";
    assert.deepEqual(
      (await runResourcePolicy(scheduleRetryAndDlq, noRetry)).violations.map((v) => v.message),
      [message(3)],
    );
    assert.deepEqual(
      (await runResourcePolicy(scheduleRetryAndDlq, noRetry, { minimumRetryAttempts: 5 })).violations.map(
        (v) => v.message,
      ),
      [message(5)],
    );
    const few = await runResourcePolicy(scheduleRetryAndDlq, schedule, { minimumRetryAttempts: 4 });
    assert.deepEqual(
      few.violations.map((v) => v.message),
      ["target.retryPolicy.maximumRetryAttempts is 3; set it to at least 4."],
    );
    assert.deepEqual(
      (await runResourcePolicy(scheduleRetryAndDlq, schedule, { minimumRetryAttempts: 3 })).violations,
      [],
    );
  });

  it("must tell how to add the dead-letter queue, for a missing or empty queue ARN", async () => {
    for (const deadLetterConfig of [undefined, {}, { arn: "" }]) {
      const outcome = await runResourcePolicy(
        scheduleRetryAndDlq,
        editTarget((t) => {
          t.deadLetterConfig = deadLetterConfig;
        }),
      );
      assert.deepEqual(
        outcome.violations.map((v) => v.message),
        [
          "Add target.deadLetterConfig: { arn: <SQS queue ARN> } (and let the schedule's role send to it) so " +
            "invocations that still fail after the retries are kept and alarmed on.",
        ],
        JSON.stringify(deadLetterConfig),
      );
    }
  });

  it("must leave a target unknown at preview to the update", async () => {
    const unknown = change(schedule, (p) => {
      p.target = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(scheduleRetryAndDlq, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });
});
