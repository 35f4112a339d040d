import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../config";
import {
  byName,
  cachedRun,
  isSecretValue,
  lambdaArchive,
  loadAfterMocks,
  ofType,
  plainStrings,
  BOT_MODE,
  BOT_TOKEN_SENTINEL,
  SENTINEL_MARK,
  SENTINELS,
  type ProgramRun,
} from "./support/pulumi-mocks";

describe("infra: secrets never in plain text", () => {
  const runs: Record<string, ProgramRun> = {};
  before(async () => {
    runs.dev = await cachedRun("dev");
    runs.prod = await cachedRun("prod");
    // Slack app mode adds the bot token, and gives both Lambdas more secrets' ARNs.
    runs["prod with a bot token"] = await cachedRun("prod", BOT_MODE);
  });

  for (const stack of ["dev", "prod", "prod with a bot token"]) {
    it(`must keep every sentinel secret out of every plain-text input (${stack})`, () => {
      const run = runs[stack]!;
      const leaks = run.resources.flatMap((r) =>
        plainStrings(r.inputs)
          .filter((s) => s.value.includes(SENTINEL_MARK))
          .map((s) => `${r.type} ${r.name}${s.path}`),
      );
      assert.deepEqual(leaks, []);
    });

    it(`must keep every sentinel secret out of the serialized Lambda code (${stack})`, async () => {
      const run = runs[stack]!;
      const functions = ofType(run, "aws:lambda/function:Function");
      assert.equal(functions.length, 2);
      for (const fn of functions) {
        const { index } = await lambdaArchive(fn);
        assert.match(index, /exports\.handler = /, "the closure was serialized");
        for (const value of [...Object.values(SENTINELS), BOT_TOKEN_SENTINEL])
          assert.ok(!index.includes(value), `${fn.name} captures a secret`);
        assert.ok(!index.includes(SENTINEL_MARK), `${fn.name} captures a secret`);
      }
    });
  }

  it("must store each secret value only in a Secrets Manager secret version, marked secret", () => {
    const run = runs.dev!;
    const versions = ofType(run, "aws:secretsmanager/secretVersion:SecretVersion");
    const expected: Record<string, string> = {
      "drox-backup-slack-webhook-value": SENTINELS.slackWebhookUrl,
      "drox-backup-slack-alerts-webhook-value": SENTINELS.slackAlertsWebhookUrl,
      "drox-backup-slack-reports-webhook-value": SENTINELS.slackReportsWebhookUrl,
      "drox-backup-notion-token-value": SENTINELS.notionToken,
      "drox-backup-api-token-value": SENTINELS.apiToken,
    };
    assert.deepEqual(versions.map((v) => v.name).sort(), Object.keys(expected).sort());
    for (const version of versions) {
      const secretString = version.inputs.secretString;
      assert.ok(isSecretValue(secretString), `${version.name} is not marked secret`);
      assert.equal((secretString as { value: string }).value, expected[version.name]);
      assert.equal(version.inputs.secretId, `${version.name.replace(/-value$/, "")}-id`);
    }
    for (const secret of ofType(run, "aws:secretsmanager/secret:Secret")) {
      assert.equal(secret.inputs.kmsKeyId, "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key");
      assert.equal(secret.inputs.recoveryWindowInDays, 7);
    }
  });

  it("must create no secret, env var or container secret for an optional webhook left unset", async () => {
    const run = await cachedRun("dev", {}, ["slackAlertsWebhookUrl", "slackReportsWebhookUrl"]);
    assert.deepEqual(
      ofType(run, "aws:secretsmanager/secret:Secret")
        .map((s) => s.name)
        .sort(),
      ["drox-backup-api-token", "drox-backup-notion-token", "drox-backup-slack-webhook"],
    );
    const slack = byName(run, "aws:lambda/function:Function", "drox-backup-slack");
    assert.deepEqual(
      Object.keys((slack.inputs.environment as { variables: Record<string, string> }).variables).sort(),
      ["DISPLAY_TIME_ZONE", "SLACK_WEBHOOK_SECRET_ARN", "SUCCESS_RATE_OK", "SUCCESS_RATE_WARN"],
    );
    const task = byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task");
    const [container] = JSON.parse(String(task.inputs.containerDefinitions)) as {
      secrets: { name: string }[];
    }[];
    assert.deepEqual(
      container!.secrets.map((s) => s.name),
      ["API_TOKEN", "NOTION_TOKEN", "SLACK_WEBHOOK_URL"],
    );
  });

  it("must pass Lambdas secret ARNs only, and ECS secrets as valueFrom references", () => {
    const run = runs.dev!;
    const slack = byName(run, "aws:lambda/function:Function", "drox-backup-slack");
    const notion = byName(run, "aws:lambda/function:Function", "drox-backup-notion");
    const arn = (role: string) => `arn:aws:secretsmanager:ap-northeast-2:123456789012:drox-backup-${role}`;
    assert.deepEqual((slack.inputs.environment as { variables: Record<string, string> }).variables, {
      DISPLAY_TIME_ZONE: "Asia/Seoul",
      SUCCESS_RATE_OK: "0.95",
      SUCCESS_RATE_WARN: "0.8",
      SLACK_WEBHOOK_SECRET_ARN: arn("slack-webhook"),
      SLACK_ALERTS_WEBHOOK_SECRET_ARN: arn("slack-alerts-webhook"),
      SLACK_REPORTS_WEBHOOK_SECRET_ARN: arn("slack-reports-webhook"),
    });
    assert.deepEqual((notion.inputs.environment as { variables: Record<string, string> }).variables, {
      DISPLAY_TIME_ZONE: "Asia/Seoul",
      SUCCESS_RATE_OK: "0.95",
      SUCCESS_RATE_WARN: "0.8",
      NOTION_DATABASE_ID: "0123456789abcdef0123456789abcdef",
      NOTION_TOKEN_SECRET_ARN: arn("notion-token"),
    });
    const task = byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task");
    const [container] = JSON.parse(String(task.inputs.containerDefinitions)) as {
      secrets: { name: string; valueFrom: string }[];
      environment: { name: string; value: string }[];
    }[];
    assert.deepEqual(container!.secrets, [
      { name: "API_TOKEN", valueFrom: arn("api-token") },
      { name: "NOTION_TOKEN", valueFrom: arn("notion-token") },
      { name: "SLACK_ALERTS_WEBHOOK_URL", valueFrom: arn("slack-alerts-webhook") },
      { name: "SLACK_REPORTS_WEBHOOK_URL", valueFrom: arn("slack-reports-webhook") },
      { name: "SLACK_WEBHOOK_URL", valueFrom: arn("slack-webhook") },
    ]);
    const envNames = container!.environment.map((e) => e.name);
    for (const secretVar of ["API_TOKEN", "NOTION_TOKEN", "SLACK_WEBHOOK_URL"])
      assert.ok(!envNames.includes(secretVar));
  });

  it("must keep the configuration's secret Outputs secret", async () => {
    const config = loadAfterMocks<typeof ConfigModule>("config.ts");
    pulumi.runtime.setAllConfig(
      Object.fromEntries(
        Object.entries({
          notionDatabaseId: "0123456789abcdef0123456789abcdef",
          allowHttp: "true",
          ...SENTINELS,
          ...BOT_MODE,
        }).map(([k, v]) => [`drox-backup:${k}`, v]),
      ),
      [...Object.keys(SENTINELS), "slackBotToken"].map((k) => `drox-backup:${k}`),
    );
    const loaded = config.loadConfig(new pulumi.Config("drox-backup"));
    for (const key of config.SECRET_KEYS) {
      const output = loaded.secrets[key];
      assert.ok(output, key);
      assert.equal(await pulumi.isSecret(output), true, key);
    }
  });
});
