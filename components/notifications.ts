/**
 * The events and alerts topics, and the two subscribers of the events topic — the Slack notifier
 * and the Notion logger — as inline Lambdas. Each Lambda has its own role (logs to its own log
 * group, its own secrets, the key, its own dead-letter queue; nothing else), bounded retries, and a
 * dead-letter queue that catches both failed invocations (on-failure destination) and messages SNS
 * could not deliver (subscription redrive policy): a notification is never silently lost.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Context, SNSEvent } from "aws-lambda";
import { assumeRolePolicy, policyDocument, viaServices, type Statement } from "./iam";
import { HANDLER_MODULE } from "./lambda-package";
import { subscriberFilterPolicy, type Subscriber } from "../runtime/ops/routing";

/** The handler module's shape (runtime/handlers.ts), loaded inside the Lambda at cold start. */
interface HandlerModule {
  slackNotifier(event: SNSEvent, context: Context): Promise<void>;
  notionLogger(event: SNSEvent, context: Context): Promise<void>;
}
type HandlerName = keyof HandlerModule;

export interface NotificationsArgs {
  /** AWS account id, for trust and topic policies. */
  readonly accountId: pulumi.Input<string>;
  /** Region, for the key's `kms:ViaService` condition. */
  readonly region: pulumi.Input<string>;
  /** KMS key encrypting the topics (its policy must admit CloudWatch). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Secrets Manager ARNs; the Slack notifier gets the webhooks, the Notion logger the token. */
  readonly secretArns: {
    readonly slackWebhook: pulumi.Input<string>;
    readonly slackAlertsWebhook?: pulumi.Input<string>;
    readonly slackReportsWebhook?: pulumi.Input<string>;
    readonly notionToken: pulumi.Input<string>;
  };
  /**
   * Slack app (bot token) mode, issue 11; absent in webhook mode. Both handlers get the token's ARN
   * and the history table, where each Slack message ↔ Notion page link lives as an item
   * `link#<event id>` (runtime/links/dynamodb.ts): whichever delivery finishes second completes the
   * link, so the Slack notifier also gets the Notion token and database to set Slack_Log_Link.
   */
  readonly bot?: {
    readonly tokenSecretArn: pulumi.Input<string>;
    readonly historyTableName: pulumi.Input<string>;
    readonly historyTableArn: pulumi.Input<string>;
  };
  /** Notion database id (the Notion logger's NOTION_DATABASE_ID). */
  readonly notionDatabaseId: pulumi.Input<string>;
  /** DISPLAY_TIME_ZONE for the messages. @default "Asia/Seoul" */
  readonly displayTimeZone?: pulumi.Input<string>;
  /** Extra environment for both handlers (e.g. SUCCESS_RATE_OK); never secrets. @default {} */
  readonly environment?: Record<string, string>;
  /** What to pack in each Lambda zip (see lambda-package.ts). @default all production dependencies */
  readonly codePathOptions?: pulumi.runtime.CodePathOptions;
  /** Retries of a failed asynchronous invocation before it goes to the dead-letter queue (0-2). @default 2 */
  readonly maximumRetryAttempts?: number;
  /** Oldest event Lambda still retries, in seconds (60-21600). @default 3600 */
  readonly maximumEventAgeInSeconds?: number;
  /** Reserved concurrency per handler; unset means the account pool. @default undefined */
  readonly reservedConcurrency?: number;
  /** Log retention of the handlers' log groups, in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Handler timeout in seconds. @default 30 */
  readonly timeout?: number;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

export interface HandlerResources {
  /** The Lambda function. */
  readonly function: aws.lambda.CallbackFunction<SNSEvent, void>;
  /** The dead-letter queue of failed deliveries. */
  readonly dlq: aws.sqs.Queue;
}

const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** The partition key prefix of a link item (runtime/links/dynamodb.ts LINK_KEY_PREFIX). */
export const LINK_KEY_PREFIX = "link#";

/**
 * Bot mode's link items and nothing else of the history table: `dynamodb:LeadingKeys` is the
 * request's partition key values (the table's `jobId`, components/history-table.ts), and
 * ForAllValues holds only when every one starts with `link#`; GetItem and UpdateItem carry exactly
 * one key, so a run's record can be neither read nor written
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
 */
function linkStatement(historyTableArn: pulumi.Input<string>): Statement {
  return {
    Sid: "OwnLinks",
    Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
    Resource: historyTableArn,
    Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${LINK_KEY_PREFIX}*`] } },
  };
}

export class Notifications extends pulumi.ComponentResource {
  /** SNS topic every backup result, report and check is published to (EVENTS_TOPIC_ARN). */
  public readonly eventsTopicArn: pulumi.Output<string>;
  /** SNS topic of CloudWatch alarms, read by AWS Chatbot. */
  public readonly alertsTopicArn: pulumi.Output<string>;
  /** The alerts topic's name (alarm actions, Chatbot). */
  public readonly alertsTopic: aws.sns.Topic;
  /** The Slack notifier and the Notion logger, with their dead-letter queues. */
  public readonly handlers: Readonly<Record<HandlerName, HandlerResources>>;

  constructor(name: string, args: NotificationsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:notifications:Notifications", name, {}, opts);
    const displayTimeZone = args.displayTimeZone ?? "Asia/Seoul";
    const maximumRetryAttempts = args.maximumRetryAttempts ?? 2;
    const maximumEventAgeInSeconds = args.maximumEventAgeInSeconds ?? 3600;
    const logRetentionDays = args.logRetentionDays ?? 30;
    const timeout = args.timeout ?? 30;
    const tags = args.tags ?? {};
    if (maximumRetryAttempts < 0 || maximumRetryAttempts > 2) {
      throw new Error(
        "Notifications: maximumRetryAttempts must be 0-2 (Lambda's bound for asynchronous retries)",
      );
    }
    if (maximumEventAgeInSeconds < 60 || maximumEventAgeInSeconds > 21600) {
      throw new Error("Notifications: maximumEventAgeInSeconds must be 60-21600");
    }
    if (args.environment && Object.keys(args.environment).some((key) => /SECRET|TOKEN|WEBHOOK/.test(key))) {
      throw new Error("Notifications: environment must not carry secrets; pass them as secretArns");
    }

    const eventsTopic = new aws.sns.Topic(
      `${name}-events`,
      { kmsMasterKeyId: args.kmsKeyArn, tags },
      { parent: this },
    );
    const alertsTopic = new aws.sns.Topic(
      `${name}-alerts`,
      { kmsMasterKeyId: args.kmsKeyArn, tags },
      { parent: this },
    );
    new aws.sns.TopicPolicy(
      `${name}-alerts-policy`,
      {
        arn: alertsTopic.arn,
        policy: policyDocument([
          {
            Sid: "CloudWatchAlarmsPublish",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: alertsTopic.arn,
            Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
          },
        ]),
      },
      { parent: this },
    );

    const common = { DISPLAY_TIME_ZONE: displayTimeZone, ...(args.environment ?? {}) };
    const slackSecrets: Record<string, pulumi.Input<string>> = {
      SLACK_WEBHOOK_SECRET_ARN: args.secretArns.slackWebhook,
      ...(args.secretArns.slackAlertsWebhook
        ? { SLACK_ALERTS_WEBHOOK_SECRET_ARN: args.secretArns.slackAlertsWebhook }
        : {}),
      ...(args.secretArns.slackReportsWebhook
        ? { SLACK_REPORTS_WEBHOOK_SECRET_ARN: args.secretArns.slackReportsWebhook }
        : {}),
    };
    const notionSecrets = { NOTION_TOKEN_SECRET_ARN: args.secretArns.notionToken };
    const notionSettings = { NOTION_DATABASE_ID: args.notionDatabaseId };
    const bot = args.bot;
    const botSecrets: Record<string, pulumi.Input<string>> = bot
      ? { SLACK_BOT_TOKEN_SECRET_ARN: bot.tokenSecretArn }
      : {};
    const botSettings: Record<string, pulumi.Input<string>> = bot
      ? { HISTORY_TABLE: bot.historyTableName }
      : {};

    const handler = (
      role: Subscriber,
      entry: HandlerName,
      secretEnv: Record<string, pulumi.Input<string>>,
      ownEnv: Record<string, pulumi.Input<string>> = {},
    ) => {
      const base = `${name}-${role}`;
      const dlq = new aws.sqs.Queue(
        `${base}-dlq`,
        { sqsManagedSseEnabled: true, messageRetentionSeconds: DLQ_RETENTION_SECONDS, tags },
        { parent: this },
      );
      new aws.sqs.QueuePolicy(
        `${base}-dlq-policy`,
        {
          queueUrl: dlq.url,
          policy: policyDocument([
            {
              Sid: "EventsTopicRedrive",
              Principal: { Service: "sns.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: dlq.arn,
              Condition: { ArnEquals: { "aws:SourceArn": eventsTopic.arn } },
            },
          ]),
        },
        { parent: this },
      );
      const logGroup = new aws.cloudwatch.LogGroup(
        `${base}-logs`,
        { retentionInDays: logRetentionDays, tags },
        { parent: this },
      );
      const lambdaRole = new aws.iam.Role(
        `${base}-role`,
        { assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com", args.accountId), tags },
        { parent: this },
      );
      const statements: Statement[] = [
        ...(bot ? [linkStatement(bot.historyTableArn)] : []),
        {
          Sid: "OwnLogGroup",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: pulumi.interpolate`${logGroup.arn}:*`,
        },
        { Sid: "OwnSecrets", Action: "secretsmanager:GetSecretValue", Resource: Object.values(secretEnv) },
        {
          // The handlers read their secrets through Secrets Manager, which decrypts with the
          // stack key (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html);
          // nothing else: SNS decrypts the events it delivers, and the dead-letter queues use SSE-SQS.
          Sid: "DecryptSecrets",
          Action: "kms:Decrypt",
          Resource: args.kmsKeyArn,
          // In bot mode also through DynamoDB, whose history table the key encrypts
          // (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
          Condition: {
            StringEquals: {
              "kms:ViaService": viaServices(
                bot ? ["secretsmanager", "dynamodb"] : ["secretsmanager"],
                args.region,
              ),
            },
          },
        },
        { Sid: "OwnDeadLetterQueue", Action: "sqs:SendMessage", Resource: dlq.arn },
      ];
      const rolePolicy = new aws.iam.RolePolicy(
        `${base}-policy`,
        { role: lambdaRole.id, policy: policyDocument(statements) },
        { parent: this },
      );
      // Captured by the closure: a constant path, never a secret (the handler reads secrets by ARN).
      const handlerModule = HANDLER_MODULE;
      const fn = new aws.lambda.CallbackFunction<SNSEvent, void>(
        base,
        {
          role: lambdaRole,
          runtime: aws.lambda.Runtime.NodeJS22dX,
          architectures: ["arm64"],
          memorySize: 256,
          timeout,
          ...(args.reservedConcurrency !== undefined
            ? { reservedConcurrentExecutions: args.reservedConcurrency }
            : {}),
          loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
          environment: { variables: { ...common, ...ownEnv, ...secretEnv } },
          codePathOptions: args.codePathOptions
            ? {
                ...args.codePathOptions,
                extraExcludePackages: [...(args.codePathOptions.extraExcludePackages ?? [])],
              }
            : undefined,
          callback: async (event: SNSEvent, context: Context) => {
            // A namespace whose default is module.exports when Node loads the CommonJS build.
            const loaded = (await import(handlerModule)) as HandlerModule & { default?: HandlerModule };
            // The context carries the time left, which the Notion logger's rate-limit waits fit in.
            return (loaded.default ?? loaded)[entry](event, context);
          },
          tags,
        },
        { parent: this, dependsOn: [rolePolicy, logGroup] },
      );
      new aws.lambda.FunctionEventInvokeConfig(
        `${base}-invoke`,
        {
          functionName: fn.name,
          maximumRetryAttempts,
          maximumEventAgeInSeconds,
          destinationConfig: { onFailure: { destination: dlq.arn } },
        },
        { parent: this },
      );
      new aws.lambda.Permission(
        `${base}-permission`,
        {
          action: "lambda:InvokeFunction",
          function: fn.name,
          principal: "sns.amazonaws.com",
          sourceArn: eventsTopic.arn,
        },
        { parent: this },
      );
      new aws.sns.TopicSubscription(
        `${base}-subscription`,
        {
          topic: eventsTopic.arn,
          protocol: "lambda",
          endpoint: fn.arn,
          redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn })),
          // `drox-backup redrive` republishes an event for the one subscriber that failed it.
          filterPolicy: JSON.stringify(subscriberFilterPolicy(role)),
        },
        { parent: this },
      );
      return { function: fn, dlq };
    };

    this.handlers = {
      slackNotifier: handler(
        "slack",
        "slackNotifier",
        { ...slackSecrets, ...botSecrets, ...(bot ? notionSecrets : {}) },
        { ...botSettings, ...(bot ? notionSettings : {}) },
      ),
      notionLogger: handler(
        "notion",
        "notionLogger",
        { ...notionSecrets, ...botSecrets },
        { ...notionSettings, ...botSettings },
      ),
    };
    this.eventsTopicArn = eventsTopic.arn;
    this.alertsTopicArn = alertsTopic.arn;
    this.alertsTopic = alertsTopic;
    this.registerOutputs({ eventsTopicArn: this.eventsTopicArn, alertsTopicArn: this.alertsTopicArn });
  }
}
