import assert from "node:assert/strict";
import { byName, cachedRun, lambdaArchive, ofType, policyOf, type ProgramRun } from "./support/pulumi-mocks";

const KEY = "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key";
const EVENTS = "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events";
const SECRET = (role: string) => `arn:aws:secretsmanager:ap-northeast-2:123456789012:drox-backup-${role}`;
const QUEUE = (role: string) => `arn:aws:sqs:ap-northeast-2:123456789012:drox-backup-${role}-dlq`;
const LOGS = (role: string) => `arn:aws:cloudwatch:ap-northeast-2:123456789012:drox-backup-${role}-logs:*`;

describe("infra: notifications (topics, Slack and Notion Lambdas)", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must encrypt both topics with the stack key and let only CloudWatch of this account publish alarms", () => {
    for (const name of ["drox-backup-events", "drox-backup-alerts"]) {
      assert.equal(byName(dev, "aws:sns/topic:Topic", name).inputs.kmsMasterKeyId, KEY);
    }
    const policy = byName(dev, "aws:sns/topicPolicy:TopicPolicy", "drox-backup-alerts-policy");
    assert.deepEqual(policyOf(policy).Statement, [
      {
        Effect: "Allow",
        Sid: "CloudWatchAlarmsPublish",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-alerts",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
  });

  for (const [role, secrets] of [
    ["slack", [SECRET("slack-webhook"), SECRET("slack-alerts-webhook"), SECRET("slack-reports-webhook")]],
    ["notion", [SECRET("notion-token")]],
  ] as const) {
    it(`must run the ${role} handler on nodejs22.x with its own least-privilege role`, () => {
      const fn = byName(dev, "aws:lambda/function:Function", `drox-backup-${role}`);
      assert.equal(fn.inputs.runtime, "nodejs22.x");
      assert.equal(fn.inputs.handler, "__index.handler");
      assert.equal(fn.inputs.role, `arn:aws:iam:ap-northeast-2:123456789012:drox-backup-${role}-role`);
      assert.equal(fn.inputs.timeout, 30);
      assert.deepEqual(fn.inputs.loggingConfig, { logFormat: "JSON", logGroup: `drox-backup-${role}-logs` });
      assert.equal(fn.inputs.reservedConcurrentExecutions, undefined);
      assert.equal(
        byName(prod, "aws:lambda/function:Function", `drox-backup-${role}`).inputs
          .reservedConcurrentExecutions,
        5,
      );

      const trust = policyOf(
        byName(dev, "aws:iam/role:Role", `drox-backup-${role}-role`),
        "assumeRolePolicy",
      );
      assert.deepEqual(trust.Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
      ]);
      const policy = policyOf(byName(dev, "aws:iam/rolePolicy:RolePolicy", `drox-backup-${role}-policy`));
      assert.deepEqual(policy.Statement, [
        {
          Effect: "Allow",
          Sid: "OwnLogGroup",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: LOGS(role),
        },
        { Effect: "Allow", Sid: "OwnSecrets", Action: "secretsmanager:GetSecretValue", Resource: secrets },
        {
          // Issue 14: the key only through Secrets Manager, for the handler's own secrets.
          Effect: "Allow",
          Sid: "DecryptSecrets",
          Action: "kms:Decrypt",
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.ap-northeast-2.amazonaws.com"] } },
        },
        { Effect: "Allow", Sid: "OwnDeadLetterQueue", Action: "sqs:SendMessage", Resource: QUEUE(role) },
      ]);
      assert.equal(
        byName(dev, "aws:cloudwatch/logGroup:LogGroup", `drox-backup-${role}-logs`).inputs.retentionInDays,
        14,
      );
      assert.equal(
        byName(prod, "aws:cloudwatch/logGroup:LogGroup", `drox-backup-${role}-logs`).inputs.retentionInDays,
        90,
      );
    });

    it(`must subscribe the ${role} handler to the events topic with bounded retries and a dead-letter queue`, () => {
      const subscription = byName(
        dev,
        "aws:sns/topicSubscription:TopicSubscription",
        `drox-backup-${role}-subscription`,
      );
      assert.equal(subscription.inputs.topic, EVENTS);
      assert.equal(subscription.inputs.protocol, "lambda");
      assert.equal(
        subscription.inputs.endpoint,
        `arn:aws:lambda:ap-northeast-2:123456789012:drox-backup-${role}`,
      );
      assert.deepEqual(JSON.parse(String(subscription.inputs.redrivePolicy)), {
        deadLetterTargetArn: QUEUE(role),
      });

      const invoke = byName(
        dev,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        `drox-backup-${role}-invoke`,
      );
      assert.equal(invoke.inputs.functionName, `drox-backup-${role}`);
      assert.equal(invoke.inputs.maximumRetryAttempts, 2);
      assert.equal(invoke.inputs.maximumEventAgeInSeconds, 3600);
      assert.deepEqual(invoke.inputs.destinationConfig, { onFailure: { destination: QUEUE(role) } });

      const permission = byName(dev, "aws:lambda/permission:Permission", `drox-backup-${role}-permission`);
      assert.equal(permission.inputs.principal, "sns.amazonaws.com");
      assert.equal(permission.inputs.sourceArn, EVENTS);
      assert.equal(permission.inputs.action, "lambda:InvokeFunction");

      const dlq = byName(dev, "aws:sqs/queue:Queue", `drox-backup-${role}-dlq`);
      assert.equal(dlq.inputs.sqsManagedSseEnabled, true);
      assert.equal(dlq.inputs.messageRetentionSeconds, 1209600);
      const queuePolicy = policyOf(
        byName(dev, "aws:sqs/queuePolicy:QueuePolicy", `drox-backup-${role}-dlq-policy`),
      );
      assert.deepEqual(queuePolicy.Statement, [
        {
          Effect: "Allow",
          Sid: "EventsTopicRedrive",
          Principal: { Service: "sns.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: QUEUE(role),
          Condition: { ArnEquals: { "aws:SourceArn": EVENTS } },
        },
      ]);
    });
  }

  it("must load the compiled handler at cold start instead of serializing the runtime", async () => {
    for (const [role, entry] of [
      ["slack", "slackNotifier"],
      ["notion", "notionLogger"],
    ]) {
      const { index, paths } = await lambdaArchive(
        byName(dev, "aws:lambda/function:Function", `drox-backup-${role}`),
      );
      assert.match(index, /handlerModule: "\.\/dist\/lambda\/handlers\.js"/);
      assert.match(index, new RegExp(`entry: "${entry}"`));
      assert.ok(
        !paths.some((p) => /node_modules\/(@pulumi|@aws-sdk|fastify|commander)\//.test(p)),
        "deploy-time packages packed",
      );
      // One bundle carries zod and the rest (issue 12): no node_modules file is packed.
      assert.deepEqual([...paths].sort(), ["__index.js", "dist/lambda/handlers.js"]);
      assert.ok(!paths.some((p) => /\.d\.ts$|\.map$/.test(p)), "typings or source maps packed");
    }
  });

  it("must never fall back to CallbackFunction's default role with *FullAccess policies", () => {
    for (const run of [dev, prod]) {
      const attachments = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
      assert.ok(
        attachments.every(
          (a) => !/FullAccess|AdministratorAccess|PowerUser/.test(String(a.inputs.policyArn)),
        ),
      );
      assert.equal(ofType(run, "aws:iam/role:Role").filter((r) => /slack$|notion$/.test(r.name)).length, 0);
    }
  });
});
