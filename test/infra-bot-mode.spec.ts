/**
 * Slack app (bot token) mode in the stack, issue 11: with slackBotToken and the channels set, the
 * token is one more Secrets Manager secret, both Lambdas get its ARN, the channels and the history
 * table (where each Slack message ↔ Notion page link lives as an item `link#<event id>`,
 * runtime/links/dynamodb.ts), the Slack Lambda also the Notion token and database (it sets the
 * page's Slack_Log_Link when Slack finishes second), and the task the token through ECS `secrets`.
 * The grants are exactly those: the link items only (dynamodb:LeadingKeys), the key only through
 * Secrets Manager and DynamoDB. Without the keys nothing changes (infra-secrets.spec.ts pins the
 * webhook-mode environment; `npm run registrations` diffs identical).
 */
import assert from "node:assert/strict";
import { awsShape, decide, principalOf, resourcePolicies, type Decision } from "./support/iam-simulator";
import {
  BOT_MODE,
  BOT_TOKEN_SENTINEL,
  byName,
  cachedRun,
  isSecretValue,
  ofType,
  REGION,
  ACCOUNT_ID,
  type ProgramRun,
} from "./support/pulumi-mocks";

const arn = (role: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:drox-backup-${role}`;
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:drox-backup-history`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:drox-backup-key`;

interface PolicyStatement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const variables = (run: ProgramRun, fn: string): Record<string, string> =>
  (
    byName(run, "aws:lambda/function:Function", `drox-backup-${fn}`).inputs.environment as {
      variables: Record<string, string>;
    }
  ).variables;
const statements = (run: ProgramRun, policy: string): PolicyStatement[] =>
  (
    JSON.parse(String(byName(run, "aws:iam/rolePolicy:RolePolicy", policy).inputs.policy)) as {
      Statement: PolicyStatement[];
    }
  ).Statement;
const container = (run: ProgramRun) =>
  (
    JSON.parse(
      String(
        byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs.containerDefinitions,
      ),
    ) as { environment: { name: string; value: string }[]; secrets: { name: string; valueFrom: string }[] }[]
  )[0]!;

/** What both Lambdas get in the dev stack, webhook mode or not (infra-secrets.spec.ts). */
const COMMON = { DISPLAY_TIME_ZONE: "Asia/Seoul", SUCCESS_RATE_OK: "0.95", SUCCESS_RATE_WARN: "0.8" };
const BOT_ENV = {
  SLACK_BOT_TOKEN_SECRET_ARN: arn("slack-bot-token"),
  SLACK_BACKUP_CHANNEL: "C0BACKUP01",
  SLACK_ALERTS_CHANNEL: "#devops-alerts",
  SLACK_REPORTS_CHANNEL: "devops-reports",
  HISTORY_TABLE: "drox-backup-history",
};
const NOTION_ENV = {
  NOTION_DATABASE_ID: "0123456789abcdef0123456789abcdef",
  NOTION_TOKEN_SECRET_ARN: arn("notion-token"),
};

describe("infra: Slack app (bot token) mode", () => {
  let bot: ProgramRun;
  let webhook: ProgramRun;
  before(async () => {
    webhook = await cachedRun("dev");
    bot = await cachedRun("dev", BOT_MODE);
  });

  it("must keep the bot token in its own Secrets Manager secret, marked secret, only in bot mode", () => {
    const version = byName(
      bot,
      "aws:secretsmanager/secretVersion:SecretVersion",
      "drox-backup-slack-bot-token-value",
    );
    assert.ok(isSecretValue(version.inputs.secretString));
    assert.equal((version.inputs.secretString as { value: string }).value, BOT_TOKEN_SENTINEL);
    assert.equal(version.inputs.secretId, "drox-backup-slack-bot-token-id");
    const secret = byName(bot, "aws:secretsmanager/secret:Secret", "drox-backup-slack-bot-token");
    assert.equal(secret.inputs.kmsKeyId, KEY_ARN);
    const names = (run: ProgramRun) => ofType(run, "aws:secretsmanager/secret:Secret").map((s) => s.name);
    assert.ok(!names(webhook).includes("drox-backup-slack-bot-token"));
    assert.equal(names(bot).length, names(webhook).length + 1);
  });

  it("must give the Slack Lambda the token's ARN, the channels, the history table and the Notion settings", () => {
    assert.deepEqual(variables(bot, "slack"), {
      ...COMMON,
      SLACK_WEBHOOK_SECRET_ARN: arn("slack-webhook"),
      SLACK_ALERTS_WEBHOOK_SECRET_ARN: arn("slack-alerts-webhook"),
      SLACK_REPORTS_WEBHOOK_SECRET_ARN: arn("slack-reports-webhook"),
      ...BOT_ENV,
      ...NOTION_ENV,
    });
  });

  it("must give the Notion Lambda the token's ARN, the channels and the history table", () => {
    assert.deepEqual(variables(bot, "notion"), { ...COMMON, ...NOTION_ENV, ...BOT_ENV });
  });

  it("must give the task the token through ECS secrets and the channels as plain variables", () => {
    const { environment, secrets } = container(bot);
    assert.deepEqual(
      secrets.find((s) => s.name === "SLACK_BOT_TOKEN"),
      { name: "SLACK_BOT_TOKEN", valueFrom: arn("slack-bot-token") },
    );
    assert.ok(!environment.some((e) => e.name === "SLACK_BOT_TOKEN"));
    assert.deepEqual(
      environment.filter((e) => e.name.endsWith("_CHANNEL")),
      [
        { name: "SLACK_ALERTS_CHANNEL", value: "#devops-alerts" },
        { name: "SLACK_BACKUP_CHANNEL", value: "C0BACKUP01" },
        { name: "SLACK_REPORTS_CHANNEL", value: "devops-reports" },
      ],
    );
    // ECS injects it with the execution role, which reads exactly the container's secrets.
    const inject = statements(bot, "drox-backup-execution-policy").find((s) => s.Sid === "InjectSecrets")!;
    assert.deepEqual([...(inject.Resource as string[])].sort(), secrets.map((s) => s.valueFrom).sort());
  });

  for (const [fn, secrets] of [
    [
      "slack",
      [
        arn("slack-webhook"),
        arn("slack-alerts-webhook"),
        arn("slack-reports-webhook"),
        arn("slack-bot-token"),
        arn("notion-token"),
      ],
    ],
    ["notion", [arn("notion-token"), arn("slack-bot-token")]],
  ] as const) {
    it(`must grant the ${fn} Lambda the link items, its secrets and the key through them, nothing broader`, () => {
      assert.deepEqual(statements(bot, `drox-backup-${fn}-policy`), [
        {
          Effect: "Allow",
          Sid: "OwnLinks",
          Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
          Resource: TABLE_ARN,
          Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["link#*"] } },
        },
        {
          Effect: "Allow",
          Sid: "OwnLogGroup",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT_ID}:drox-backup-${fn}-logs:*`,
        },
        {
          Effect: "Allow",
          Sid: "OwnSecrets",
          Action: "secretsmanager:GetSecretValue",
          Resource: [...secrets],
        },
        {
          Effect: "Allow",
          Sid: "DecryptSecrets",
          Action: "kms:Decrypt",
          Resource: KEY_ARN,
          Condition: {
            StringEquals: {
              "kms:ViaService": [
                `secretsmanager.${REGION}.amazonaws.com`,
                `dynamodb.${REGION}.amazonaws.com`,
              ],
            },
          },
        },
        {
          Effect: "Allow",
          Sid: "OwnDeadLetterQueue",
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:drox-backup-${fn}-dlq`,
        },
      ]);
      // Webhook mode: no DynamoDB, the key through Secrets Manager only.
      const before = statements(webhook, `drox-backup-${fn}-policy`);
      assert.ok(!JSON.stringify(before).includes("dynamodb"), fn);
    });

    it(`must let IAM allow the ${fn} Lambda's link requests and deny a run's record`, async () => {
      const principal = principalOf(bot, `drox-backup-${fn}-role`);
      const policyFor = resourcePolicies(bot);
      const shape = awsShape(bot);
      const table = shape.arn(byName(bot, "aws:dynamodb/table:Table", "drox-backup-history"));
      const key = shape.arn(byName(bot, "aws:kms/key:Key", "drox-backup-key"));
      const decision = (action: string, partition: string): Promise<Decision> =>
        decide(
          principal,
          { action, resource: table, context: { "dynamodb:LeadingKeys": [partition] } },
          policyFor(table),
        );
      const link = "link#0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
      const run = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
      assert.deepEqual(
        [
          await decision("dynamodb:GetItem", link),
          await decision("dynamodb:UpdateItem", link),
          await decision("dynamodb:GetItem", run),
          await decision("dynamodb:UpdateItem", run),
          await decision("dynamodb:PutItem", link),
          await decision("dynamodb:DeleteItem", link),
        ],
        [
          "Allowed",
          "Allowed",
          "ImplicitlyDenied",
          "ImplicitlyDenied",
          "ImplicitlyDenied",
          "ImplicitlyDenied",
        ],
      );
      // The table's key through DynamoDB, never directly.
      const kms = (context?: Record<string, string>) =>
        decide(
          principal,
          { action: "kms:Decrypt", resource: key, ...(context ? { context } : {}) },
          policyFor(key),
        );
      assert.equal(await kms({ "kms:ViaService": `dynamodb.${REGION}.amazonaws.com` }), "Allowed");
      assert.equal(await kms(), "ImplicitlyDenied");
    });
  }
});
