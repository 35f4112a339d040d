import assert from "node:assert/strict";
import { scheduleExpressionProblem } from "../components/schedule-expression";

describe("config: EventBridge Scheduler expressions", () => {
  it("must accept the default schedules and the documented cron and rate forms", () => {
    for (const expression of [
      "cron(0 2 * * ? *)",
      "cron(30 2 * * ? *)",
      "cron(0 9 ? * SUN *)",
      "cron(0 9 ? * 1 *)",
      "cron(0/15 * * * ? *)",
      "cron(0 8 ? * MON-FRI *)",
      "cron(15 10 L * ? *)",
      "cron(0 12 15W * ? *)",
      "cron(0 18 ? * 6L 2027)",
      "cron(0 9 ? * 2#1 *)",
      "cron(0,30 1-5 1,15 JAN,JUL ? 2026-2030)",
      "rate(1 day)",
      "rate(5 minutes)",
      "rate(12 hours)",
    ]) {
      assert.equal(scheduleExpressionProblem(expression), undefined, expression);
    }
  });

  it("must reject what EventBridge Scheduler rejects, saying why", () => {
    const cases: [string, RegExp][] = [
      ["0 2 * * *", /must be cron\(\.\.\.\) or rate\(\.\.\.\)/],
      ["cron(0 2 * * *)", /needs 6 fields .* got 5/],
      ["cron(0 2 * * * *)", /exactly one of day-of-month and day-of-week must be \?/],
      ["cron(0 2 ? * ? *)", /exactly one of day-of-month and day-of-week must be \?/],
      ["cron(60 2 * * ? *)", /minutes "60" is out of range 0-59/],
      ["cron(0 24 * * ? *)", /hours "24" is out of range 0-23/],
      ["cron(0 2 32 * ? *)", /day-of-month "32" is out of range/],
      ["cron(0 2 ? * SUNDAY *)", /day-of-week "SUNDAY" is out of range 1-7 or SUN-SAT/],
      ["cron(0 2 ? FOO * *)", /month "FOO" is out of range/],
      ["cron(0 2 * * ? 1969)", /year "1969" is out of range/],
      ["cron(0/0 2 * * ? *)", /zero step/],
      ["cron(? 2 * * ? *)", /minutes cannot be \?/],
      ["cron(0 2 1,,2 * ? *)", /empty list item/],
      ["rate(0 minutes)", /at least 1/],
      ["rate(1 days)", /singular/],
      ["rate(2 hour)", /plural/],
      ["rate(5 weeks)", /positive integer and minute\(s\), hour\(s\) or day\(s\)/],
      ["at(2026-01-01T00:00:00)", /runs once/],
    ];
    for (const [expression, expected] of cases) {
      assert.match(scheduleExpressionProblem(expression) ?? "accepted", expected, expression);
    }
  });
});
