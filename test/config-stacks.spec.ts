import assert from "node:assert/strict";
import { parseSettings, settingsWarnings, type Settings } from "../config";
import { ConfigError } from "../runtime/contract/errors";
import { ofType, runProgram, SENTINELS, stackFileConfig } from "./support/pulumi-mocks";

/** The committed `Pulumi.<stack>.yaml`, as `pulumi preview` would read it, plus `overrides`. */
function parseStack(stack: string, overrides: Record<string, string> = {}): Settings {
  const file = stackFileConfig(stack);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(file)) {
    if (key.startsWith("drox-backup:")) values[key.slice("drox-backup:".length)] = value;
  }
  Object.assign(values, overrides);
  return parseSettings((key) => values[key], stack);
}

function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split("\n- ").slice(1);
  }
  assert.fail("expected a ConfigError");
}

const base = { notionDatabaseId: "0123456789abcdef0123456789abcdef", allowHttp: "true" };
function parse(overrides: Record<string, string>): Settings {
  const values: Record<string, string> = { ...base, ...overrides };
  return parseSettings((key) => values[key], "prod");
}

/** A certificate as a real one looks (not an example id). */
const CERTIFICATE =
  "arn:aws:acm:ap-northeast-2:123456789012:certificate/4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

describe("config: stack files that work, or stop at preview with a clear message", () => {
  it("must refuse the documented example Chatbot ids, saying where the real ones are", () => {
    assert.deepEqual(
      problemsOf(() => parse({ slackTeamId: "T0123ABCD", slackChannelId: "C07QJ5N8P" })),
      [
        "slackTeamId: is the documentation's example, not your workspace: copy your workspace id from the AWS Chatbot console (Slack workspace details), or unset slackTeamId and slackChannelId to skip Chatbot",
      ],
    );
    assert.deepEqual(
      problemsOf(() => parse({ slackTeamId: "T07QJ4K2M", slackChannelId: "C0123ABCD" })),
      [
        "slackChannelId: is the documentation's example, not your channel: copy your channel id in Slack (channel details → bottom of the About tab), or unset slackTeamId and slackChannelId to skip Chatbot",
      ],
    );
    assert.deepEqual(parse({ slackTeamId: "T07QJ4K2M", slackChannelId: "C07QJ5N8P" }).chatbot, {
      slackTeamId: "T07QJ4K2M",
      slackChannelId: "C07QJ5N8P",
    });
  });

  it("must refuse example certificate ARNs in any account or region, saying what to put there", () => {
    const expected =
      "certificateArn: is an example ARN, not a certificate of yours: set the ARN of your ACM certificate in this stack's region (ACM console → the certificate → ARN), or unset it and opt in to plain HTTP with pulumi config set allowHttp true";
    for (const arn of [
      "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000",
      "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
      "arn:aws:acm:eu-west-1:210987654321:certificate/00000000-0000-0000-0000-000000000000",
    ]) {
      assert.deepEqual(
        problemsOf(() => parse({ allowHttp: "", certificateArn: arn })),
        [expected],
        arn,
      );
    }
    assert.equal(parse({ allowHttp: "", certificateArn: CERTIFICATE }).certificateArn, CERTIFICATE);
  });

  it("must stop the committed prod stack at preview, naming each key only the user can fill in", () => {
    assert.deepEqual(
      problemsOf(() => parseStack("prod")),
      [
        "notionDatabaseId: is required: the database id or its URL (pulumi config set notionDatabaseId <id or URL>)",
        "certificateArn: is required for HTTPS; or opt in to plain HTTP explicitly with pulumi config set allowHttp true",
      ],
    );
    const filled = parseStack("prod", {
      notionDatabaseId: base.notionDatabaseId,
      certificateArn: CERTIFICATE,
    });
    assert.equal(filled.certificateArn, CERTIFICATE);
    assert.equal(filled.chatbot, undefined, "Chatbot is opt-in: no example ids committed");
  });

  it("must leave Lambda reserved concurrency unset in the committed stacks (quota under 110 would refuse it)", () => {
    const prod = parseStack("prod", { notionDatabaseId: base.notionDatabaseId, certificateArn: CERTIFICATE });
    assert.equal(prod.lambdaReservedConcurrency, undefined);
    assert.equal(parse({ lambdaReservedConcurrency: "5" }).lambdaReservedConcurrency, 5, "still available");
  });

  const NO_TARGETS =
    "No backup targets, so no backup is scheduled: name what to back up with ebsVolumeIds, rdsInstanceIds, s3SourceBuckets, backupTag (e.g. pulumi config set --path 'ebsVolumeIds[0]' vol-…; the task reads them as EBS_VOLUME_IDS, RDS_INSTANCE_IDS, S3_SOURCE_BUCKETS, BACKUP_TAG).";

  it("must commit a dev stack that names no targets nor tag and stops only for the Notion database", () => {
    assert.deepEqual(
      problemsOf(() => parseStack("dev")),
      [
        "notionDatabaseId: is required: the database id or its URL (pulumi config set notionDatabaseId <id or URL>)",
      ],
    );
    const dev = parseStack("dev", { notionDatabaseId: base.notionDatabaseId });
    assert.deepEqual(dev.targets, { ebsVolumeIds: [], rdsInstanceIds: [], s3SourceBuckets: [] });
    assert.deepEqual(settingsWarnings(dev), [NO_TARGETS]);
    assert.deepEqual(settingsWarnings(parse({ rdsInstanceIds: "db-1" })), []);
    assert.deepEqual(settingsWarnings(parse({ backupTag: "Backup=true" })), []);
  });

  it("must warn at preview when bot channels are set without a bot token, naming each and both fixes", () => {
    const targets = { rdsInstanceIds: "db-1" };
    const one = parse({ ...targets, slackBackupChannel: "devops-backup" });
    assert.deepEqual(settingsWarnings(one), [
      "slackBackupChannel is set but slackBotToken is not, so messages go to the webhooks and the channels are unused: set the bot token (pulumi config set --secret slackBotToken xoxb-…) or remove the channels (pulumi config rm slackBackupChannel).",
    ]);
    const two = parse({ ...targets, slackAlertsChannel: "devops-alerts", slackReportsChannel: "C0123ABCD" });
    assert.deepEqual(settingsWarnings(two), [
      "slackAlertsChannel, slackReportsChannel are set but slackBotToken is not, so messages go to the webhooks and the channels are unused: set the bot token (pulumi config set --secret slackBotToken xoxb-…) or remove the channels (pulumi config rm slackAlertsChannel; pulumi config rm slackReportsChannel).",
    ]);
    const tokenSet = (key: string) => key === "slackBotToken";
    assert.deepEqual(settingsWarnings(one, tokenSet), [], "with the token the channels are bot mode's");
    assert.deepEqual(settingsWarnings(parse(targets)), [], "no channels, webhook mode: nothing to say");
  });

  it("must deploy the dev stack as committed without a backup job or account-wide S3 read, warning at preview", async () => {
    const run = await runProgram({
      stack: "dev",
      config: { ...stackFileConfig("dev"), notionDatabaseId: base.notionDatabaseId, ...SENTINELS },
    });
    assert.deepEqual(
      run.logs.filter((log) => log.severity === "warn" && log.message.startsWith("No backup targets")),
      [{ severity: "warn", message: NO_TARGETS }],
    );
    assert.deepEqual(
      ofType(run, "aws:scheduler/schedule:Schedule")
        .map((s) => s.name)
        .sort(),
      ["drox-backup-integrity-check", "drox-backup-monthly-report", "drox-backup-weekly-report"],
    );
    const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").map((p) => String(p.inputs.policy));
    assert.ok(policies.length > 0);
    for (const policy of policies) {
      assert.doesNotMatch(policy, /arn:aws:s3:::\*|FindTaggedTargets/);
    }
  });
});
