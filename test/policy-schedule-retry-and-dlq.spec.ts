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
});
