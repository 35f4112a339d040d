import assert from "node:assert/strict";
import { cachedRun, type ProgramRun } from "./support/pulumi-mocks";

/** Resources per type token, sorted, for exact-count comparisons. */
function countByType(run: ProgramRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of run.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

const COMMON: Record<string, number> = {
  "aws:cloudwatch/logGroup:LogGroup": 3,
  // Failed jobs and failed restore drills.
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": 2,
  "aws:cloudwatch/metricAlarm:MetricAlarm": 7,
  "aws:dynamodb/table:Table": 1,
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": 1,
  "aws:ecr/repository:Repository": 1,
  "aws:ecs/cluster:Cluster": 1,
  "aws:ecs/service:Service": 1,
  "aws:ecs/taskDefinition:TaskDefinition": 1,
  "aws:ec2/securityGroup:SecurityGroup": 2,
  // Task, execution, S3 Batch Operations copy jobs and the two Lambdas' roles.
  "aws:iam/role:Role": 6,
  "aws:iam/rolePolicy:RolePolicy": 6,
  "aws:kms/alias:Alias": 1,
  "aws:kms/key:Key": 1,
  "aws:lambda/function:Function": 2,
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 2,
  "aws:lambda/permission:Permission": 2,
  "aws:lb/loadBalancer:LoadBalancer": 1,
  "aws:lb/targetGroup:TargetGroup": 1,
  "aws:s3/bucket:Bucket": 1,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
  "aws:s3/bucketPolicy:BucketPolicy": 1,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
  "aws:s3/bucketVersioning:BucketVersioning": 1,
  // ebs, rds, s3, integrity check, weekly and monthly report
  "aws:scheduler/schedule:Schedule": 6,
  "aws:secretsmanager/secret:Secret": 5,
  "aws:secretsmanager/secretVersion:SecretVersion": 5,
  "aws:sns/topic:Topic": 2,
  "aws:sns/topicPolicy:TopicPolicy": 1,
  "aws:sns/topicSubscription:TopicSubscription": 2,
  "aws:sqs/queue:Queue": 3,
  "aws:sqs/queuePolicy:QueuePolicy": 2,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
  "awsx:ecr:Image": 1,
  "drox-backup:alerting:Alerting": 1,
  "drox-backup:notifications:Notifications": 1,
  "drox-backup:schedules:Schedules": 1,
  "drox-backup:secrets:Secrets": 1,
  "drox-backup:service:Service": 1,
  "drox-backup:store:Store": 1,
};

const sorted = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));

describe("infra: the program under mocks", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must register exactly the dev stack's resources (default VPC, HTTP opt-in, no Chatbot)", () => {
    assert.deepEqual(
      countByType(dev),
      sorted({
        ...COMMON,
        "awsx:ec2:DefaultVpc": 1,
        "aws:lb/listener:Listener": 1,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 3,
      }),
    );
    // 83, then the failed-drills metric filter and alarm (issue 10), the monthly report's schedule
    // (issue 11) and the S3 Batch Operations role and its policy (issue 15).
    assert.equal(dev.resources.length, 88);
  });

  it("must register exactly the prod stack's resources (own VPC, HTTPS, Object Lock, Chatbot)", () => {
    assert.deepEqual(
      countByType(prod),
      sorted({
        ...COMMON,
        "awsx:ec2:Vpc": 1,
        "aws:lb/listener:Listener": 2,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 5,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
        "aws:iam/role:Role": 7,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": 1,
        // Pulumi.prod.yaml switches the weekly restore drill on.
        "aws:scheduler/schedule:Schedule": 7,
      }),
    );
  });

  it("must parent every resource to its component, named ${component}-<role>", () => {
    for (const run of [dev, prod]) {
      const components = run.resources.filter((r) => r.type.startsWith("drox-backup:"));
      assert.equal(components.length, 6);
      for (const c of components) assert.equal(c.parent, undefined, c.urn);
      const componentUrns = new Set(components.map((c) => c.urn));
      for (const r of run.resources.filter((x) => !x.type.startsWith("drox-backup:"))) {
        assert.ok(r.parent && componentUrns.has(r.parent), `${r.type} ${r.name} has no component parent`);
        assert.match(r.name, /^drox-backup-[a-z0-9-]+$/, r.name);
      }
    }
  });

  it("must export what a user needs next", () => {
    assert.deepEqual(Object.keys(dev.outputs).sort(), [
      "alertsTopicArn",
      "backupBucket",
      "chatbotEnabled",
      "eventsTopicArn",
      "historyTable",
      "nextSteps",
      "notionDatabaseId",
      "notionDlqUrl",
      "schedulesDlqUrl",
      "serviceUrl",
      "slackDlqUrl",
      "testCommand",
    ]);
    assert.equal(dev.outputs.serviceUrl, "http://drox-backup-alb.ap-northeast-2.elb.amazonaws.com");
    assert.equal(prod.outputs.serviceUrl, "https://drox-backup-alb.ap-northeast-2.elb.amazonaws.com");
    assert.equal(dev.outputs.notionDatabaseId, "0123456789abcdef0123456789abcdef");
    assert.match(String(dev.outputs.eventsTopicArn), /^arn:aws:sns:.*:drox-backup-events$/);
    assert.match(String(dev.outputs.alertsTopicArn), /^arn:aws:sns:.*:drox-backup-alerts$/);
    assert.equal(
      dev.outputs.testCommand,
      'curl -fsS -X POST -H "Authorization: Bearer $(pulumi config get apiToken)" http://drox-backup-alb.ap-northeast-2.elb.amazonaws.com/api/test/slack',
    );
    assert.equal(dev.outputs.chatbotEnabled, false);
    assert.equal(prod.outputs.chatbotEnabled, true);
    // redrive reads each dead-letter queue by URL: three different queues, each an SQS URL
    const dlqUrls = [dev.outputs.slackDlqUrl, dev.outputs.notionDlqUrl, dev.outputs.schedulesDlqUrl].map(
      String,
    );
    for (const url of dlqUrls)
      assert.match(url, /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/drox-backup-([a-z-]+-)?dlq$/);
    assert.equal(new Set(dlqUrls).size, 3);
  });

  it("must warn about plain HTTP and explain a skipped Chatbot, and stay quiet about both in prod", () => {
    const messages = (run: ProgramRun, severity: string) =>
      run.logs.filter((l) => l.severity === severity).map((l) => l.message);
    assert.ok(messages(dev, "warn").some((m) => /allowHttp is set and no certificateArn/.test(m)));
    assert.ok(
      messages(dev, "info").some((m) =>
        /AWS Chatbot skipped: slackTeamId and slackChannelId are not set/.test(m),
      ),
    );
    assert.ok(!messages(prod, "warn").some((m) => /allowHttp/.test(m)));
    assert.ok(!messages(prod, "info").some((m) => /Chatbot skipped/.test(m)));
  });
});
