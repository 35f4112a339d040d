/**
 * drox-backup: composition only. The configuration is read and validated in config.ts; each piece
 * of the system is a component in components/.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, type BackupKind } from "./config";
import { Alerting } from "./components/alerting";
import { lambdaPackage } from "./components/lambda-package";
import { Notifications } from "./components/notifications";
import { settingsEnvironment } from "./components/runtime-env";
import { Secrets } from "./components/secrets";
import { CONTAINER_NAME, Service } from "./components/service";
import { Schedules, type ScheduledJob } from "./components/schedules";
import { Store } from "./components/store";

const { settings, secrets } = loadConfig();
const name = "drox-backup";
const tags = { ...settings.tags };
const accountId = aws.getCallerIdentityOutput().accountId;
const region = aws.getRegionOutput().region;

// The Lambdas' handler module, bundled from the sources on every run: no build step before `pulumi up`.
const pkg = lambdaPackage();

const store = new Store(name, {
  accountId,
  retentionDays: settings.retentionDays,
  objectLock: settings.objectLock,
  tags,
});

const vault = new Secrets(name, {
  values: {
    slackWebhook: secrets.slackWebhookUrl,
    slackAlertsWebhook: secrets.slackAlertsWebhookUrl,
    slackReportsWebhook: secrets.slackReportsWebhookUrl,
    slackBotToken: secrets.slackBotToken,
    notionToken: secrets.notionToken,
    apiToken: secrets.apiToken,
  },
  kmsKeyArn: store.keyArn,
  tags,
});
const arns = vault.arns;
if (!arns.slackWebhook || !arns.notionToken || !arns.apiToken)
  throw new Error("required secrets were not created");

// What both Lambdas read alike, from the settings declaration (components/runtime-env.ts).
const sharedEnv = settingsEnvironment(settings.values, ["slack", "notion"]);

const notifications = new Notifications(name, {
  accountId,
  region,
  kmsKeyArn: store.keyArn,
  secretArns: {
    slackWebhook: arns.slackWebhook,
    slackAlertsWebhook: arns.slackAlertsWebhook,
    slackReportsWebhook: arns.slackReportsWebhook,
    notionToken: arns.notionToken,
  },
  notionDatabaseId: settings.notionDatabaseId,
  // Slack app mode (issue 11), only with a bot token: the channels arrive with sharedEnv.
  ...(arns.slackBotToken
    ? {
        bot: {
          tokenSecretArn: arns.slackBotToken,
          historyTableName: store.tableName,
          historyTableArn: store.tableArn,
        },
      }
    : {}),
  displayTimeZone: settings.displayTimeZone,
  environment: sharedEnv,
  codePathOptions: pkg.codePathOptions,
  reservedConcurrency: settings.lambdaReservedConcurrency,
  logRetentionDays: settings.logRetentionDays,
  tags,
});

const t = settings.targets;
const service = new Service(name, {
  accountId,
  region,
  family: `${name}-${settings.stack}`,
  useDefaultVpc: settings.useDefaultVpc,
  assignPublicIp: settings.assignPublicIp,
  certificateArn: settings.certificateArn,
  allowHttp: settings.allowHttp,
  shutdownGraceSeconds: settings.service.shutdownGraceSeconds,
  // The runtime contract (components/runtime-env.ts): the infrastructure's own variables, then every
  // setting the task reads; PORT, TRUST_PROXY_HOPS and SHUTDOWN_GRACE_SECONDS come from the
  // component, which owns the port, the ALB and the stop timeout.
  environment: {
    AWS_REGION: region,
    EVENTS_TOPIC_ARN: notifications.eventsTopicArn,
    BACKUP_BUCKET: store.bucketName,
    HISTORY_TABLE: store.tableName,
    ...settingsEnvironment(settings.values, ["task"]),
  },
  // ECS resolves these ARNs at task start and sets the plain variables inside the container only.
  secrets: {
    SLACK_WEBHOOK_URL: arns.slackWebhook,
    ...(arns.slackAlertsWebhook ? { SLACK_ALERTS_WEBHOOK_URL: arns.slackAlertsWebhook } : {}),
    ...(arns.slackReportsWebhook ? { SLACK_REPORTS_WEBHOOK_URL: arns.slackReportsWebhook } : {}),
    ...(arns.slackBotToken ? { SLACK_BOT_TOKEN: arns.slackBotToken } : {}),
    NOTION_TOKEN: arns.notionToken,
    API_TOKEN: arns.apiToken,
  },
  permissions: {
    backupBucketArn: store.bucketArn,
    historyTableArn: store.tableArn,
    eventsTopicArn: notifications.eventsTopicArn,
    kmsKeyArn: store.keyArn,
    sourceBuckets: t.s3SourceBuckets,
    tagDiscovery: t.backupTag !== undefined,
    ...(settings.dr ? { drRegion: settings.dr.region } : {}),
  },
  cpu: settings.service.cpu,
  memory: settings.service.memory,
  desiredCount: settings.service.desiredCount,
  logRetentionDays: settings.logRetentionDays,
  tags,
});

const explicitTargets: Record<BackupKind, readonly string[]> = {
  ebs: t.ebsVolumeIds,
  rds: t.rdsInstanceIds,
  s3: t.s3SourceBuckets,
};
const jobs: ScheduledJob[] = [];
for (const kind of ["ebs", "rds", "s3"] as const) {
  if (explicitTargets[kind].length === 0 && !t.backupTag) {
    pulumi.log.info(
      `No ${kind.toUpperCase()} targets (ids or backupTag): the ${kind} backup is not scheduled.`,
    );
    continue;
  }
  jobs.push({
    role: kind,
    expression: settings.schedules[kind],
    command: ["run", kind],
    description: `drox-backup: daily ${kind.toUpperCase()} backup`,
  });
}
jobs.push(
  {
    role: "integrity-check",
    expression: settings.schedules.integrityCheck,
    command: ["check"],
    description: "drox-backup: integrity check of the backups",
  },
  {
    role: "weekly-report",
    expression: settings.schedules.weeklyReport,
    command: ["report", "weekly"],
    description: "drox-backup: weekly report",
  },
  {
    role: "monthly-report",
    expression: settings.schedules.monthlyReport,
    command: ["report", "monthly"],
    description: "drox-backup: monthly report of the month just ended",
  },
);
if (
  settings.drillEnabled &&
  jobs.some((job) => job.role === "ebs" || job.role === "rds" || job.role === "s3")
) {
  jobs.push({
    role: "drill",
    expression: settings.schedules.drill,
    command: ["drill", "all"],
    description: "drox-backup: weekly restore drill (복구 테스트)",
  });
} else if (settings.drillEnabled) {
  pulumi.log.info("drillEnabled, but no backup targets: the restore drill is not scheduled.");
}

const schedules = new Schedules(name, {
  accountId,
  jobs,
  timeZone: settings.displayTimeZone,
  clusterArn: service.clusterArn,
  taskDefinitionArn: service.taskDefinitionArn,
  containerName: CONTAINER_NAME,
  taskRoleArn: service.taskRoleArn,
  executionRoleArn: service.executionRoleArn,
  subnetIds: service.taskSubnetIds,
  securityGroupIds: [service.taskSecurityGroupId],
  assignPublicIp: service.assignPublicIp,
  tags,
});

const alerting = new Alerting(name, {
  alertsTopicArn: notifications.alertsTopicArn,
  jobLogGroupName: service.logGroupName,
  deadLetterQueues: {
    slack: notifications.handlers.slackNotifier.dlq.name,
    notion: notifications.handlers.notionLogger.dlq.name,
    schedules: schedules.dlq.name,
  },
  loadBalancerArnSuffix: service.loadBalancerArnSuffix,
  targetGroupArnSuffix: service.targetGroupArnSuffix,
  chatbot: settings.chatbot,
  chatbotConfigurationName: `${name}-${settings.stack}`,
  tags,
});

export const serviceUrl = service.url;
export const eventsTopicArn = notifications.eventsTopicArn;
export const alertsTopicArn = notifications.alertsTopicArn;
export const notionDatabaseId = settings.notionDatabaseId;
export const backupBucket = store.bucketName;
export const historyTable = store.tableName;
/** The dead-letter queues `drox-backup redrive` reads (SLACK_DLQ_URL, NOTION_DLQ_URL, SCHEDULES_DLQ_URL). */
export const slackDlqUrl = notifications.handlers.slackNotifier.dlq.url;
export const notionDlqUrl = notifications.handlers.notionLogger.dlq.url;
export const schedulesDlqUrl = schedules.dlq.url;
export const chatbotEnabled = alerting.chatbotEnabled;
export const testCommand = pulumi.interpolate`curl -fsS -X POST -H "Authorization: Bearer $(pulumi config get apiToken)" ${service.url}/api/test/slack`;
export const nextSteps = [
  "Share the Notion database with the integration (… → Connections → DROX DevOps Backup).",
  "Send a Slack test message with the testCommand output.",
  settings.chatbot
    ? "CloudWatch alarms reach Slack through AWS Chatbot."
    : "Optional: set slackTeamId and slackChannelId to route CloudWatch alarms to Slack through AWS Chatbot.",
  "Redrive messages from the dead-letter queues after fixing a failed delivery (their alarms say when).",
];
