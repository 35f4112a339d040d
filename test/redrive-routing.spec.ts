import assert from "node:assert/strict";
import { byName, cachedRun } from "./support/pulumi-mocks";

describe("redrive routing: each subscription takes first deliveries and its own redrives", () => {
  it("must give each events-topic subscription the filter policy that admits unmarked events and its own", async () => {
    const run = await cachedRun("dev");
    for (const subscriber of ["slack", "notion"]) {
      const subscription = byName(
        run,
        "aws:sns/topicSubscription:TopicSubscription",
        `drox-backup-${subscriber}-subscription`,
      );
      assert.deepEqual(JSON.parse(String(subscription.inputs.filterPolicy)), {
        redriveTo: [{ exists: false }, subscriber],
      });
      // The default scope (MessageAttributes) is where the redrive marks its events.
      assert.equal(subscription.inputs.filterPolicyScope, undefined);
    }
  });

  it("must tell, in each dead-letter alarm, the redrive command for its queue", async () => {
    const run = await cachedRun("dev");
    for (const queue of ["slack", "notion", "schedules"]) {
      const alarm = byName(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `drox-backup-${queue}-dlq-depth`);
      assert.equal(
        alarm.inputs.alarmDescription,
        `Messages are waiting in the ${queue} dead-letter queue: fix the cause, then run \`drox-backup redrive --queue ${queue}\` (README: Dead-letter recovery)`,
      );
    }
  });
});
