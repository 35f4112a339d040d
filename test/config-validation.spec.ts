import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../config";
import { ConfigError } from "../runtime/contract/errors";
import { MIN_TOKEN_LENGTH, tokenVerifier } from "../runtime/server/auth";
import { loadAfterMocks } from "./support/pulumi-mocks";

// setMocks first (Config reads the project name from the mocked runtime), then import the code.
let config: typeof ConfigModule;
const base: Record<string, string> = {
  notionDatabaseId: "0123456789abcdef0123456789abcdef",
  allowHttp: "true",
};
const lookup = (values: Record<string, string>) => (key: string) => values[key];
const parse = (overrides: Record<string, string>) =>
  config.parseSettings(lookup({ ...base, ...overrides }), "dev");
const problem = (overrides: Record<string, string>): string => {
  try {
    parse(overrides);
  } catch (error) {
    assert.ok(error instanceof ConfigError, "a ConfigError");
    return error.message;
  }
  assert.fail("expected a ConfigError");
};
const promiseOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  (output as unknown as { promise(): Promise<T> }).promise();

describe("config: typed, validated once", () => {
  before(async () => {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "drox-backup",
      "dev",
      true,
    );
    config = loadAfterMocks<typeof ConfigModule>("config.ts");
  });

  it("must default everything but the Notion database and the HTTPS choice", () => {
    const s = parse({});
    assert.equal(s.notionDatabaseId, "0123456789abcdef0123456789abcdef");
    assert.equal(s.displayTimeZone, "Asia/Seoul");
    assert.deepEqual(s.schedules, config.DEFAULT_SCHEDULES);
    assert.equal(s.retentionDays, 7);
    assert.equal(s.logRetentionDays, 30);
    assert.equal(s.useDefaultVpc, false);
    assert.equal(s.assignPublicIp, false);
    assert.equal(s.chatbot, undefined);
    assert.equal(s.objectLock, undefined);
    assert.deepEqual(s.service, { desiredCount: 1, cpu: 512, memory: 1024, shutdownGraceSeconds: 20 });
    assert.deepEqual(s.tags, { project: "drox-backup", owner: "devops", environment: "dev" });
    assert.deepEqual(s.thresholds, { ok: 0.95, warn: 0.8 });
    assert.equal(s.historyRetentionDays, 400);
    assert.deepEqual(s.jobs, {});
    assert.equal(s.logLevel, undefined);
    assert.equal(s.dr, undefined);
  });

  it("must read the DR key, the runtime tuning and the service's shutdown settings", () => {
    const s = parse({
      drRegion: "ap-northeast-1",
      drRetentionDays: "30",
      drKmsKeyId: "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      successRateOk: "0.9",
      successRateWarn: "0.7",
      historyRetentionDays: "90",
      s3SyncConcurrency: "32",
      jobTimeoutSeconds: "3600",
      shutdownGraceSeconds: "45",
      rateLimitMax: "600",
      logLevel: "debug",
    });
    assert.deepEqual(s.dr, {
      region: "ap-northeast-1",
      retentionDays: 30,
      kmsKeyId: "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    });
    assert.deepEqual(s.thresholds, { ok: 0.9, warn: 0.7 });
    assert.equal(s.historyRetentionDays, 90);
    assert.deepEqual(s.jobs, { s3SyncConcurrency: 32, jobTimeoutSeconds: 3600 });
    assert.deepEqual(s.service, {
      desiredCount: 1,
      cpu: 512,
      memory: 1024,
      shutdownGraceSeconds: 45,
      rateLimitMax: 600,
    });
    assert.equal(s.logLevel, "debug");
    for (const kmsKeyId of [
      "1234abcd-12ab-34cd-56ef-1234567890ab",
      "mrk-1234abcd12ab34cd56ef1234567890ab",
      "alias/drox-backup-dr",
      "arn:aws:kms:ap-northeast-1:123456789012:alias/drox-backup-dr",
    ]) {
      assert.equal(parse({ drRegion: "ap-northeast-1", drKmsKeyId: kmsKeyId }).dr?.kmsKeyId, kmsKeyId);
    }
  });

  it("must accept the Notion database id in every form users paste it", () => {
    const id = "0123456789abcdef0123456789abcdef";
    for (const form of [
      id,
      "01234567-89ab-cdef-0123-456789abcdef",
      `https://www.notion.so/workspace/Backup-Log-${id}?v=fedcba9876543210fedcba9876543210`,
      `https://www.notion.so/${id}?v=fedcba9876543210fedcba9876543210`,
    ]) {
      assert.equal(parse({ notionDatabaseId: form }).notionDatabaseId, id, form);
    }
  });

  it("must read lists as YAML lists (JSON) or comma-separated, and tags as Key=Value", () => {
    const s = parse({
      ebsVolumeIds: '["vol-0123456789abcdef0","vol-0fedcba9876543210"]',
      rdsInstanceIds: "db-instance-1, db-test-456",
      s3SourceBuckets: "[]",
      backupTag: "Backup=true",
    });
    assert.deepEqual(s.targets, {
      ebsVolumeIds: ["vol-0123456789abcdef0", "vol-0fedcba9876543210"],
      rdsInstanceIds: ["db-instance-1", "db-test-456"],
      s3SourceBuckets: [],
      backupTag: { key: "Backup", value: "true" },
    });
  });

  it("must name the key and the fix for each bad value", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ notionDatabaseId: "" }, /notionDatabaseId: is required: the database id or its URL/],
      [
        { notionDatabaseId: "not-an-id" },
        /notionDatabaseId: is neither a Notion id .* nor a Notion database URL/,
      ],
      [
        { notionDatabaseId: "https://example.com/0123456789abcdef0123456789abcdef" },
        /notionDatabaseId: is neither a Notion id/,
      ],
      [
        { displayTimeZone: "Mars/Olympus" },
        /displayTimeZone: "Mars\/Olympus" is not an IANA time zone; use e\.g\. Asia\/Seoul/,
      ],
      [
        { ebsSchedule: "cron(0 2 * * *)" },
        /ebsSchedule: "cron\(0 2 \* \* \*\)" does not parse: cron\(\) needs 6 fields.*e\.g\. cron\(0 2 \* \* \? \*\)/,
      ],
      [
        { weeklyReportSchedule: "every sunday" },
        /weeklyReportSchedule: "every sunday" does not parse: must be cron/,
      ],
      [{ slackTeamId: "T0123ABCD" }, /slackChannelId: slackTeamId and slackChannelId go together/],
      [
        { slackTeamId: "team", slackChannelId: "C0123ABCD" },
        /slackTeamId: must be a Slack workspace id like T0123ABCD/,
      ],
      [
        { slackTeamId: "T0123ABCD", slackChannelId: "#alerts" },
        /slackChannelId: must be a Slack channel id like C0123ABCD/,
      ],
      [
        { ebsVolumeIds: "vol-0123456789abcdef0,volume-1" },
        /ebsVolumeIds: "volume-1" is not an EBS volume id/,
      ],
      [{ s3SourceBuckets: "Bad_Bucket" }, /s3SourceBuckets: "Bad_Bucket" is not an S3 bucket name/],
      [{ backupTag: "Backup" }, /backupTag: must be Key=Value, e\.g\. Backup=true/],
      [{ retentionDays: "0" }, /retentionDays: must be a whole number from 1 to 3650/],
      [{ drRetentionDays: "7" }, /drRetentionDays: needs drRegion/],
      [{ drRegion: "tokyo" }, /drRegion: "tokyo" is not an AWS region name/],
      [
        { objectLockMode: "STRICT", objectLockDays: "30" },
        /objectLockMode: must be GOVERNANCE or COMPLIANCE/,
      ],
      [{ objectLockMode: "GOVERNANCE" }, /objectLockDays: objectLockMode and objectLockDays go together/],
      [{ objectLockDays: "30" }, /objectLockMode: objectLockMode and objectLockDays go together/],
      [
        { allowHttp: "" },
        /certificateArn: is required for HTTPS; or opt in to plain HTTP explicitly with pulumi config set allowHttp true/,
      ],
      [
        { certificateArn: "arn:aws:acm:ap-northeast-2:123456789012:certificate/abc-123" },
        /allowHttp: contradicts certificateArn/,
      ],
      [{ allowHttp: "", certificateArn: "my-cert" }, /certificateArn: must be an ACM certificate ARN/],
      [{ allowHttp: "yes" }, /allowHttp: must be true or false/],
      [
        { logRetentionDays: "10" },
        /logRetentionDays: must be one of CloudWatch's periods: 1, 3, 5, 7, 14, 30/,
      ],
      [{ taskCpu: "300" }, /taskCpu: must be a Fargate CPU size/],
      [{ successRateOk: "95" }, /successRateOk: must be a number from 0 to 1/],
      [{ successRateOk: "0.7", successRateWarn: "0.8" }, /successRateWarn: must not exceed successRateOk/],
      [{ logLevel: "verbose" }, /logLevel: must be one of fatal, error, warn, info, debug, trace/],
      [{ drKmsKeyId: "alias/dr" }, /drKmsKeyId: needs drRegion: the key encrypts cross-region copies/],
      [
        { drRegion: "ap-northeast-1", drKmsKeyId: "my-key" },
        /drKmsKeyId: "my-key" is not a KMS key id, key ARN, alias \(alias\/…\) or alias ARN/,
      ],
      [
        {
          drRegion: "ap-northeast-1",
          drKmsKeyId: "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        /drKmsKeyId: is in ap-northeast-2, but copies are encrypted in drRegion ap-northeast-1: use a key of ap-northeast-1/,
      ],
      [{ historyRetentionDays: "0" }, /historyRetentionDays: must be a whole number from 1 to 3650/],
      [{ shutdownGraceSeconds: "111" }, /shutdownGraceSeconds: must be a whole number from 1 to 110/],
      [{ rateLimitMax: "0" }, /rateLimitMax: must be a whole number from 1 to 1000000/],
    ];
    for (const [overrides, expected] of cases) {
      assert.match(problem(overrides), expected, JSON.stringify(overrides));
    }
  });

  it("must report every problem at once, naming the stack", () => {
    const message = problem({
      notionDatabaseId: "x",
      displayTimeZone: "Nowhere/City",
      rdsSchedule: "rate(1 days)",
    });
    assert.match(message, /^drox-backup configuration for stack "dev" has 3 problem\(s\):/);
    assert.match(message, /- notionDatabaseId: /);
    assert.match(
      message,
      /- rdsSchedule: "rate\(1 days\)" does not parse: rate\(1 days\) must use the singular unit/,
    );
    assert.match(message, /- displayTimeZone: /);
  });

  it("must refuse webhook URLs that are not Slack Incoming Webhooks, without echoing them", () => {
    const bad = "https://example.com/services/T000/B000/SentinelLeak";
    for (const key of ["slackWebhookUrl", "slackAlertsWebhookUrl", "slackReportsWebhookUrl"] as const) {
      const message = config.secretProblem(key, bad) ?? "";
      assert.match(
        message,
        new RegExp(`^${key} must be on hooks\\.slack\\.com: it must be a Slack Incoming Webhook URL`),
      );
      assert.match(message, new RegExp(`pulumi config set --secret ${key} <url>`));
      assert.doesNotMatch(message, /SentinelLeak|example\.com/);
    }
    assert.match(
      config.secretProblem("slackWebhookUrl", "http://hooks.slack.com/services/T0/B0/x") ?? "",
      /must use https/,
    );
    assert.match(
      config.secretProblem("slackWebhookUrl", "http://127.0.0.1:9999/services/T0/B0/x") ?? "",
      /must use https/,
    );
    assert.equal(
      config.secretProblem("slackWebhookUrl", "https://hooks.slack.com/services/T0ABC/B0ABC/abc123"),
      undefined,
    );
    assert.match(
      config.secretProblem("notionToken", "  ") ?? "",
      /^notionToken is empty \(pulumi config set --secret notionToken <value>\)$/,
    );
  });

  it("must refuse an apiToken shorter than the service's minimum, without echoing it", () => {
    const expected =
      "apiToken must be at least 16 characters (the service refuses shorter tokens at startup); " +
      'set one with pulumi config set --secret apiToken "$(openssl rand -hex 32)"';
    // 15 characters (16 with the surrounding spaces, which are trimmed before use).
    assert.equal(config.secretProblem("apiToken", " Sentinel0Short1 "), expected);
    assert.equal(config.secretProblem("apiToken", "Sentinel0Short16"), undefined);
    assert.equal(MIN_TOKEN_LENGTH, 16);
    // The service's own check agrees on both sides of the boundary.
    assert.throws(() => tokenVerifier("Sentinel0Short1"), /at least 16 characters/);
    assert.doesNotThrow(() => tokenVerifier("Sentinel0Short16"));
  });

  it("must refuse a slackBotToken that is not a bot token, without echoing it", () => {
    const expected =
      'slackBotToken must be a Slack bot token (xoxb-…, "Bot User OAuth Token" on the app\'s OAuth & Permissions page) ' +
      "(pulumi config set --secret slackBotToken <value>)";
    // A user token (xoxp-) is the usual mistake: it is on the same Slack page.
    assert.equal(config.secretProblem("slackBotToken", "xoxp-1-Sentinel0UserToken"), expected);
    assert.equal(config.secretProblem("slackBotToken", " xoxb-1-2-Sentinel0BotToken "), undefined);
  });

  it("must take channel ids or names and refuse anything else, naming the key", () => {
    const settings = parse({
      slackBackupChannel: "C0123ABCD",
      slackAlertsChannel: "#devops-alerts",
      slackReportsChannel: "devops-reports",
    });
    assert.equal(settings.values.slackBackupChannel, "C0123ABCD");
    assert.equal(settings.values.slackAlertsChannel, "#devops-alerts");
    assert.equal(settings.values.slackReportsChannel, "devops-reports");
    assert.equal(
      problem({ slackAlertsChannel: "Devops Alerts" }),
      'drox-backup configuration for stack "dev" has 1 problem(s):\n' +
        "- slackAlertsChannel: must be a Slack channel id like C0123ABCD or a channel name like devops-backup (lowercase, with or without #)",
    );
  });

  it("must require the bot's main channel when slackBotToken is set, and only then", () => {
    const withToken = (values: Record<string, string>) => {
      try {
        config.parseSettings(lookup({ ...base, ...values }), "dev", (key) => key === "slackBotToken");
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
      return undefined;
    };
    assert.equal(
      withToken({}),
      'drox-backup configuration for stack "dev" has 1 problem(s):\n' +
        "- slackBackupChannel: is required with slackBotToken: the bot posts there (pulumi config set slackBackupChannel devops-backup), or unset slackBotToken to use the webhooks",
    );
    assert.equal(withToken({ slackBackupChannel: "devops-backup" }), undefined);
    // Webhook mode: no token, no channel needed.
    assert.doesNotThrow(() => parse({}));
  });

  describe("loadConfig under the mocked runtime", () => {
    const webhook = "https://hooks.slack.com/services/T0ABC/B0ABC/Sentinel0Load";
    const set = (values: Record<string, string>) =>
      pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(values).map(([k, v]) => [`drox-backup:${k}`, v])),
        ["drox-backup:slackWebhookUrl", "drox-backup:notionToken", "drox-backup:apiToken"],
      );

    it("must read secrets as secret Outputs and leave absent optional ones out", async () => {
      set({ ...base, slackWebhookUrl: webhook, notionToken: "secret_x", apiToken: "Sentinel0Api0Token0Ok" });
      const loaded = config.loadConfig(new pulumi.Config("drox-backup"));
      for (const key of ["slackWebhookUrl", "notionToken", "apiToken"] as const) {
        assert.equal(await pulumi.isSecret(loaded.secrets[key]), true, key);
      }
      assert.equal(await promiseOf(loaded.secrets.slackWebhookUrl), webhook);
      assert.equal(loaded.secrets.slackAlertsWebhookUrl, undefined);
      assert.equal(loaded.secrets.slackReportsWebhookUrl, undefined);
    });

    it("must fail on a missing required secret, naming it", () => {
      set({ ...base, slackWebhookUrl: webhook, notionToken: "secret_x" });
      assert.throws(() => config.loadConfig(new pulumi.Config("drox-backup")), /drox-backup:apiToken/);
    });

    it("must fail the preview on a bad webhook secret without the value in the error", async () => {
      set({
        ...base,
        slackWebhookUrl: "https://hooks.example.com/Sentinel0Bad",
        notionToken: "secret_x",
        apiToken: "Sentinel0Api0Token0Ok",
      });
      const loaded = config.loadConfig(new pulumi.Config("drox-backup"));
      await assert.rejects(promiseOf(loaded.secrets.slackWebhookUrl), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^slackWebhookUrl must be on hooks\.slack\.com/);
        assert.doesNotMatch(error.message, /Sentinel0Bad/);
        return true;
      });
    });

    it("must fail the preview on a short apiToken without the value in the error", async () => {
      set({ ...base, slackWebhookUrl: webhook, notionToken: "secret_x", apiToken: "Sentinel0Tiny" });
      const loaded = config.loadConfig(new pulumi.Config("drox-backup"));
      await assert.rejects(promiseOf(loaded.secrets.apiToken), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          error.message,
          "apiToken must be at least 16 characters (the service refuses shorter tokens at startup); " +
            'set one with pulumi config set --secret apiToken "$(openssl rand -hex 32)"',
        );
        assert.doesNotMatch(error.message, /Sentinel0Tiny/);
        return true;
      });
    });
  });
});
