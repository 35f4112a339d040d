import assert from "node:assert/strict";
import { settingsEnvironment } from "../components/runtime-env";
import { parseSettings } from "../config";
import { RUNTIME_VARIABLES, SETTING_KEYS, SETTINGS, type SettingSpec } from "../runtime/settings/declaration";
import { readJobSettings } from "../runtime/settings/jobs";
import { readThresholds } from "../runtime/settings/success-rate";
import { readServiceSettings } from "../runtime/server/wiring";
import { readTimeZone } from "../runtime/slack/settings";

/** A stack with every key that reaches the runtime set to a value other than its default. */
const FULL: Record<string, string> = {
  notionDatabaseId: "https://www.notion.so/ws/Backup-Log-0123456789abcdef0123456789abcdef?v=1",
  allowHttp: "true",
  ebsVolumeIds: '["vol-0123456789abcdef0","vol-0fedcba9876543210"]',
  rdsInstanceIds: "db-prod-1, db-prod-2",
  s3SourceBuckets: "drox-prod-assets",
  backupTag: "Backup = nightly",
  displayTimeZone: "Europe/Berlin",
  retentionDays: "30",
  drRegion: "ap-northeast-1",
  drRetentionDays: "60",
  drKmsKeyId: "alias/drox-backup-dr",
  successRateOk: "0.9",
  successRateWarn: "0.75",
  s3SyncConcurrency: "32",
  jobTimeoutSeconds: "3600",
  historyRetentionDays: "90",
  shutdownGraceSeconds: "45",
  rateLimitMax: "600",
  logLevel: "debug",
};

const spec = (key: string): SettingSpec => (SETTINGS as Record<string, SettingSpec>)[key]!;

describe("config: one declaration for the stack and the runtime", () => {
  it("must hand every setting to the runtime in the form the runtime reads back", () => {
    const settings = parseSettings((key) => FULL[key], "prod");
    const env: Record<string, string> = {
      ...settingsEnvironment(settings.values, ["task"]),
      // Set by components/service.ts from its own argument.
      SHUTDOWN_GRACE_SECONDS: String(settings.service.shutdownGraceSeconds),
    };
    const jobs = readJobSettings(env);
    assert.deepEqual(
      {
        ebsVolumeIds: jobs.ebsVolumeIds,
        rdsInstanceIds: jobs.rdsInstanceIds,
        s3SourceBuckets: jobs.s3SourceBuckets,
        backupTag: jobs.backupTag,
        retentionDays: jobs.retentionDays,
        drRegion: jobs.drRegion,
        drRetentionDays: jobs.drRetentionDays,
        drKmsKeyId: jobs.drKmsKeyId,
        s3SyncConcurrency: jobs.s3SyncConcurrency,
        jobTimeoutSeconds: jobs.jobTimeoutSeconds,
        displayTimeZone: jobs.displayTimeZone,
        historyRetentionDays: jobs.historyRetentionDays,
      },
      {
        ebsVolumeIds: ["vol-0123456789abcdef0", "vol-0fedcba9876543210"],
        rdsInstanceIds: ["db-prod-1", "db-prod-2"],
        s3SourceBuckets: ["drox-prod-assets"],
        backupTag: { key: "Backup", value: "nightly" },
        retentionDays: 30,
        drRegion: "ap-northeast-1",
        drRetentionDays: 60,
        drKmsKeyId: "alias/drox-backup-dr",
        s3SyncConcurrency: 32,
        jobTimeoutSeconds: 3600,
        displayTimeZone: "Europe/Berlin",
        historyRetentionDays: 90,
      },
    );
    const service = readServiceSettings(env);
    assert.equal(service.rateLimitMax, 600);
    assert.equal(service.shutdownGraceMs, 45_000);
    assert.equal(env.NOTION_DATABASE_ID, "0123456789abcdef0123456789abcdef");
    assert.equal(env.LOG_LEVEL, "debug");

    const lambdas = settingsEnvironment(settings.values, ["slack", "notion"]);
    assert.deepEqual(Object.keys(lambdas).sort(), [
      "DISPLAY_TIME_ZONE",
      "LOG_LEVEL",
      "SUCCESS_RATE_OK",
      "SUCCESS_RATE_WARN",
    ]);
    assert.deepEqual(readThresholds(lambdas), { ok: 0.9, warn: 0.75 });
    assert.equal(readTimeZone(lambdas), "Europe/Berlin");
  });

  it("must leave out of the environment the optional settings a stack does not set", () => {
    const minimal: Record<string, string> = { notionDatabaseId: FULL.notionDatabaseId!, allowHttp: "true" };
    const settings = parseSettings((key) => minimal[key], "dev");
    assert.deepEqual(Object.keys(settingsEnvironment(settings.values, ["task"])).sort(), [
      "DISPLAY_TIME_ZONE",
      "DRILL_DEADLINE_MINUTES",
      "DRILL_ENABLED",
      "DRILL_S3_SAMPLE",
      "EBS_VOLUME_IDS",
      "HISTORY_RETENTION_DAYS",
      "NOTION_DATABASE_ID",
      "RDS_INSTANCE_IDS",
      "RETENTION_DAYS",
      "S3_SOURCE_BUCKETS",
      "SUCCESS_RATE_OK",
      "SUCCESS_RATE_WARN",
    ]);
  });

  it("must let the runtime accept every number the stack accepts, with the same default", () => {
    for (const key of SETTING_KEYS) {
      const s = spec(key);
      if (!s.env || !s.range) continue;
      const runtime = s.env.runtime ?? {};
      assert.ok((runtime.min ?? s.range.min) <= s.range.min, `${key}: runtime minimum above the stack's`);
      assert.ok((runtime.max ?? s.range.max) >= s.range.max, `${key}: runtime maximum below the stack's`);
      if (s.default !== undefined && runtime.default !== undefined) {
        assert.equal(runtime.default, s.default, `${key}: two defaults`);
      }
    }
  });

  it("must give each environment variable to one setting or runtime variable only", () => {
    const names = [
      ...SETTING_KEYS.flatMap((key) => [spec(key).env?.name, spec(key).arnEnv?.name]),
      ...Object.keys(RUNTIME_VARIABLES),
    ].filter((name) => name !== undefined);
    assert.deepEqual(
      names.filter((name, at) => names.indexOf(name) !== at),
      [],
    );
  });

  it("must carry secrets to the runtime only as secrets or Secrets Manager ARNs", () => {
    for (const key of SETTING_KEYS) {
      const s = spec(key);
      if (!s.secret) continue;
      for (const consumer of ["task", "slack", "notion"] as const) {
        assert.ok(
          [undefined, "secret", "optionalSecret"].includes(s.env?.[consumer]),
          `${key}: ${s.env?.name} would be a plain variable of ${consumer}`,
        );
      }
      assert.ok(s.arnEnv, `${key} has no *_SECRET_ARN variable`);
    }
  });
});
