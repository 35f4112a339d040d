import assert from "node:assert/strict";
import { byName, cachedRun, ofType, plainStrings, policyOf, type ProgramRun } from "./support/pulumi-mocks";

const ALERTS = "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-alerts";

describe("infra: alerting (CloudWatch alarms, AWS Chatbot)", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must count FAILED job results from the container logs", () => {
    const filter = byName(
      prod,
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "drox-backup-failed-jobs-filter",
    );
    assert.equal(filter.inputs.logGroupName, "drox-backup-logs");
    assert.equal(filter.inputs.pattern, '{ $.status = "FAILED" }');
    assert.deepEqual(filter.inputs.metricTransformation, {
      namespace: "DroxBackup/prod",
      name: "FailedJobs",
      value: "1",
      defaultValue: "0",
    });
  });

  it("must count failed restore drills from the drill's last log line, apart from failed jobs", async () => {
    const filter = byName(
      prod,
      "aws:cloudwatch/logMetricFilter:LogMetricFilter",
      "drox-backup-failed-drills-filter",
    );
    assert.equal(filter.inputs.logGroupName, "drox-backup-logs");
    assert.equal(filter.inputs.pattern, '{ $.drillStatus = "FAILED" }');
    assert.deepEqual(filter.inputs.metricTransformation, {
      namespace: "DroxBackup/prod",
      name: "FailedDrills",
      value: "1",
      defaultValue: "0",
    });
    // The runtime logs exactly that field once per drill, and no `status` a backup filter would count.
    const source = await import("node:fs").then((fs) => fs.readFileSync("runtime/drills/index.ts", "utf8"));
    assert.match(source, /log\.info\(\s*\{ drillId, drillStatus: drill\.status/);
    assert.doesNotMatch(source, /log\.\w+\(\{[^}]*\bstatus:/);
  });

  it("must alarm on failed jobs, every dead-letter queue, ALB 5xx and unhealthy hosts, to the alerts topic", () => {
    const alarms = Object.fromEntries(
      ofType(prod, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => [
        a.name,
        [
          a.inputs.namespace,
          a.inputs.metricName,
          a.inputs.dimensions,
          a.inputs.comparisonOperator,
          a.inputs.threshold,
        ],
      ]),
    );
    assert.deepEqual(alarms, {
      "drox-backup-failed-jobs": [
        "DroxBackup/prod",
        "FailedJobs",
        undefined,
        "GreaterThanOrEqualToThreshold",
        1,
      ],
      "drox-backup-failed-drills": [
        "DroxBackup/prod",
        "FailedDrills",
        undefined,
        "GreaterThanOrEqualToThreshold",
        1,
      ],
      "drox-backup-slack-dlq-depth": [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: "drox-backup-slack-dlq" },
        "GreaterThanThreshold",
        0,
      ],
      "drox-backup-notion-dlq-depth": [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: "drox-backup-notion-dlq" },
        "GreaterThanThreshold",
        0,
      ],
      "drox-backup-schedules-dlq-depth": [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: "drox-backup-dlq" },
        "GreaterThanThreshold",
        0,
      ],
      "drox-backup-alb-5xx": [
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        { LoadBalancer: "app/drox-backup-alb/0123" },
        "GreaterThanOrEqualToThreshold",
        5,
      ],
      "drox-backup-unhealthy-hosts": [
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        { LoadBalancer: "app/drox-backup-alb/0123", TargetGroup: "targetgroup/drox-backup-tg/0123" },
        "GreaterThanOrEqualToThreshold",
        1,
      ],
    });
    for (const alarm of ofType(prod, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
      assert.deepEqual(alarm.inputs.alarmActions, [ALERTS], alarm.name);
      assert.deepEqual(alarm.inputs.okActions, [ALERTS], alarm.name);
    }
  });

  it("must relay the alerts topic to Slack through Chatbot with a read-only guardrail and its own role", () => {
    const chatbot = byName(
      prod,
      "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
      "drox-backup-chatbot",
    );
    assert.equal(chatbot.inputs.slackTeamId, "T07QJ4K2M");
    assert.equal(chatbot.inputs.slackChannelId, "C07QJ5N8P");
    assert.deepEqual(chatbot.inputs.snsTopicArns, [ALERTS]);
    assert.deepEqual(chatbot.inputs.guardrailPolicyArns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert.equal(
      chatbot.inputs.iamRoleArn,
      "arn:aws:iam:ap-northeast-2:123456789012:drox-backup-chatbot-role",
    );
    assert.equal(chatbot.inputs.configurationName, "drox-backup-prod");
    // Chatbot logs its delivery errors only to CloudWatch Logs (ERROR, INFO or NONE).
    assert.equal(chatbot.inputs.loggingLevel, "ERROR");
    const trust = policyOf(byName(prod, "aws:iam/role:Role", "drox-backup-chatbot-role"), "assumeRolePolicy");
    assert.deepEqual(trust.Statement, [
      { Effect: "Allow", Principal: { Service: "chatbot.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    assert.deepEqual(
      ofType(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn),
      ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
    );
  });

  it("must skip Chatbot without Slack ids", () => {
    assert.equal(ofType(dev, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration").length, 0);
    assert.equal(ofType(dev, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
  });

  it("must let only CloudWatch alarms publish to the alerts topic and only Chatbot read it", () => {
    // Chatbot drops messages that are neither alarm notifications nor its custom format; nothing
    // of the program may publish there (the jobs' events go to the events topic).
    for (const [run, expected] of [
      [dev, ["aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topicPolicy:TopicPolicy"]],
      [
        prod,
        [
          "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
          "aws:cloudwatch/metricAlarm:MetricAlarm",
          "aws:sns/topicPolicy:TopicPolicy",
        ],
      ],
    ] as const) {
      const referencing = run.resources.filter((r) =>
        plainStrings(r.inputs).some((s) => s.value.includes(ALERTS)),
      );
      assert.deepEqual([...new Set(referencing.map((r) => r.type))].sort(), expected);
      // Alarms reference it only as their actions.
      for (const alarm of referencing.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")) {
        const paths = plainStrings(alarm.inputs)
          .filter((s) => s.value.includes(ALERTS))
          .map((s) => s.path);
        assert.deepEqual(paths, [".alarmActions.0", ".okActions.0"], alarm.name);
      }
      const topicPolicy = policyOf(
        byName(run, "aws:sns/topicPolicy:TopicPolicy", "drox-backup-alerts-policy"),
      );
      assert.deepEqual(
        topicPolicy.Statement.map((st) => [st.Principal, st.Action]),
        [[{ Service: "cloudwatch.amazonaws.com" }, "sns:Publish"]],
      );
      assert.equal(
        ofType(run, "aws:sns/topicSubscription:TopicSubscription").filter(
          (sub) => sub.inputs.topic === ALERTS,
        ).length,
        0,
      );
    }
  });
});
