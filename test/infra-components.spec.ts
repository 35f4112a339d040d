import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as AlertingModule from "../components/alerting";
import type * as NotificationsModule from "../components/notifications";
import type * as SchedulesModule from "../components/schedules";
import type * as ServiceModule from "../components/service";
import type * as StoreModule from "../components/store";
import type * as SecretsModule from "../components/secrets";
import { cachedRun, loadAfterMocks } from "./support/pulumi-mocks";

describe("infra: component arguments", () => {
  let Service: typeof ServiceModule.Service;
  let Store: typeof StoreModule.Store;
  let Notifications: typeof NotificationsModule.Notifications;
  let Schedules: typeof SchedulesModule.Schedules;
  let Secrets: typeof SecretsModule.Secrets;
  let Alerting: typeof AlertingModule.Alerting;
  before(async () => {
    await cachedRun("dev"); // installs the mocks
    Service = loadAfterMocks<typeof ServiceModule>("components/service.ts").Service;
    Store = loadAfterMocks<typeof StoreModule>("components/store.ts").Store;
    Notifications = loadAfterMocks<typeof NotificationsModule>("components/notifications.ts").Notifications;
    Schedules = loadAfterMocks<typeof SchedulesModule>("components/schedules.ts").Schedules;
    Secrets = loadAfterMocks<typeof SecretsModule>("components/secrets.ts").Secrets;
    Alerting = loadAfterMocks<typeof AlertingModule>("components/alerting.ts").Alerting;
  });

  const permissions = { backupBucketArn: "b", historyTableArn: "t", eventsTopicArn: "e", kmsKeyArn: "k" };

  it("must refuse contradictory arguments, naming both", () => {
    assert.throws(
      () =>
        new Service("x1", {
          accountId: "1",
          region: "r",
          permissions,
          certificateArn: "arn",
          allowHttp: true,
        }),
      /certificateArn and allowHttp contradict/,
    );
    assert.throws(
      () => new Service("x2", { accountId: "1", region: "r", permissions }),
      /set certificateArn for HTTPS, or allowHttp/,
    );
    assert.throws(
      () =>
        new Service("x3", {
          accountId: "1",
          region: "r",
          permissions,
          allowHttp: true,
          useDefaultVpc: true,
          assignPublicIp: false,
        }),
      /useDefaultVpc and assignPublicIp=false contradict/,
    );
    assert.throws(
      () =>
        new Service("x4", {
          accountId: "1",
          region: "r",
          permissions,
          allowHttp: true,
          environment: { API_TOKEN: "plain" },
          secrets: { API_TOKEN: "arn" },
        }),
      /API_TOKEN set in both environment and secrets/,
    );
    assert.throws(
      () =>
        new Service("x10", {
          accountId: "1",
          region: "r",
          permissions,
          allowHttp: true,
          shutdownGraceSeconds: 111,
        }),
      /shutdownGraceSeconds must be a whole number from 1 to 110 \(ECS stops a container at most 120 s after SIGTERM\)/,
    );
    assert.throws(
      () =>
        new Service("x11", {
          accountId: "1",
          region: "r",
          permissions,
          allowHttp: true,
          environment: { PORT: "9090", TRUST_PROXY_HOPS: "2" },
        }),
      /environment sets PORT, TRUST_PROXY_HOPS, which the component derives/,
    );
    assert.throws(
      () =>
        new Store("x5", { accountId: "1", objectLock: { mode: "COMPLIANCE", days: 1 }, forceDestroy: true }),
      /objectLock and forceDestroy contradict/,
    );
    // Names AWS would refuse fail at preview, naming the argument and the rule.
    assert.throws(
      () => new Store("x12", { accountId: "1", keyAlias: "alias/aws/drox-backup" }),
      /^Error: Store: keyAlias "alias\/aws\/drox-backup": the alias\/aws\/ prefix is reserved for AWS managed keys$/,
    );
    assert.throws(
      () =>
        new Alerting("x13", {
          alertsTopicArn: "t",
          jobLogGroupName: "l",
          deadLetterQueues: {},
          loadBalancerArnSuffix: "a",
          targetGroupArnSuffix: "g",
          metricNamespace: "AWS/DroxBackup",
        }),
      /^Error: Alerting: metricNamespace "AWS\/DroxBackup": the AWS\/ prefix is reserved for AWS services$/,
    );
    const notificationArgs = {
      accountId: "1",
      region: "r",
      kmsKeyArn: "k",
      secretArns: { slackWebhook: "a", notionToken: "b" },
      notionDatabaseId: "n",
    };
    assert.throws(
      () => new Notifications("x6", { ...notificationArgs, maximumRetryAttempts: 3 }),
      /maximumRetryAttempts must be 0-2/,
    );
    assert.throws(
      () =>
        new Notifications("x7", {
          ...notificationArgs,
          environment: { SLACK_WEBHOOK_URL: "https://hooks.slack.com/x" },
        }),
      /environment must not carry secrets/,
    );
    const job = {
      role: "ebs",
      expression: "rate(1 day)",
      command: ["run", "ebs"],
      description: "d",
    };
    assert.throws(
      () =>
        new Schedules("x8", {
          accountId: "1",
          jobs: [job, job],
          clusterArn: "c",
          taskDefinitionArn: "t",
          containerName: "app",
          taskRoleArn: "r",
          executionRoleArn: "e",
          subnetIds: [],
          securityGroupIds: [],
        }),
      /jobs has the role "ebs" twice/,
    );
    assert.throws(
      () => new Secrets("x9", { values: { slackWebhook: pulumi.secret("x") } }),
      /values\.slackWebhook, values\.notionToken and values\.apiToken are required/,
    );
  });
});
