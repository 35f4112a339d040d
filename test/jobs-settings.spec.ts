import assert from "node:assert/strict";
import { ConfigError } from "../runtime/contract/errors";
import { readJobSettings } from "../runtime/settings/jobs";

describe("job settings from the environment", () => {
  it("must apply the documented defaults", () => {
    const s = readJobSettings({});
    assert.deepEqual(s, {
      region: undefined,
      eventsTopicArn: undefined,
      backupBucket: undefined,
      historyTable: undefined,
      ebsVolumeIds: [],
      rdsInstanceIds: [],
      s3SourceBuckets: [],
      backupTag: undefined,
      retentionDays: 7,
      drRegion: undefined,
      drRetentionDays: 7,
      drKmsKeyId: undefined,
      s3SyncConcurrency: 16,
      s3BatchThreshold: 100_000,
      s3BatchRoleArn: undefined,
      jobTimeoutSeconds: 1800,
      displayTimeZone: "Asia/Seoul",
      historyRetentionDays: 400,
    });
  });

  it("must parse lists, the tag selector and numbers", () => {
    const s = readJobSettings({
      AWS_REGION: "ap-northeast-2",
      EBS_VOLUME_IDS: " vol-1, vol-2,,vol-1 ",
      RDS_INSTANCE_IDS: "db-1",
      S3_SOURCE_BUCKETS: "a,b",
      BACKUP_TAG: "Backup=true",
      RETENTION_DAYS: "14",
      DR_REGION: "ap-northeast-3",
      S3_SYNC_CONCURRENCY: "32",
      JOB_TIMEOUT_SECONDS: "600",
      DISPLAY_TIME_ZONE: "UTC",
    });
    assert.deepEqual(s.ebsVolumeIds, ["vol-1", "vol-2"]);
    assert.deepEqual(s.backupTag, { key: "Backup", value: "true" });
    assert.equal(s.retentionDays, 14);
    assert.equal(s.drRetentionDays, 14, "DR retention defaults to RETENTION_DAYS");
    assert.equal(s.s3SyncConcurrency, 32);
    assert.equal(s.jobTimeoutSeconds, 600);
    assert.equal(s.displayTimeZone, "UTC");
  });

  for (const [name, value, message] of [
    ["RETENTION_DAYS", "seven", 'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "seven")'],
    ["RETENTION_DAYS", "0", 'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "0")'],
    ["RETENTION_DAYS", "3651", 'RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "3651")'],
    [
      "S3_SYNC_CONCURRENCY",
      "-1",
      'S3_SYNC_CONCURRENCY must be a whole number from 1 to 512, e.g. 16 (got "-1")',
    ],
    [
      "S3_SYNC_CONCURRENCY",
      "513",
      'S3_SYNC_CONCURRENCY must be a whole number from 1 to 512, e.g. 16 (got "513")',
    ],
    [
      "JOB_TIMEOUT_SECONDS",
      "1.5",
      'JOB_TIMEOUT_SECONDS must be a whole number from 1 to 86400, e.g. 1800 (got "1.5")',
    ],
    [
      "JOB_TIMEOUT_SECONDS",
      "86401",
      'JOB_TIMEOUT_SECONDS must be a whole number from 1 to 86400, e.g. 1800 (got "86401")',
    ],
    ["DR_RETENTION_DAYS", "x", 'DR_RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 7 (got "x")'],
    [
      "HISTORY_RETENTION_DAYS",
      "0",
      'HISTORY_RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 400 (got "0")',
    ],
  ] as const) {
    it(`must reject ${name}=${value} with an error naming the variable, its range and the value`, () => {
      assert.throws(
        () => readJobSettings({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message === message,
      );
    });
  }

  it("must accept each whole-number setting at the bounds of its range", () => {
    const low = readJobSettings({
      RETENTION_DAYS: "1",
      DR_RETENTION_DAYS: "1",
      S3_SYNC_CONCURRENCY: "1",
      JOB_TIMEOUT_SECONDS: "1",
      HISTORY_RETENTION_DAYS: "1",
    });
    assert.deepEqual(
      [
        low.retentionDays,
        low.drRetentionDays,
        low.s3SyncConcurrency,
        low.jobTimeoutSeconds,
        low.historyRetentionDays,
      ],
      [1, 1, 1, 1, 1],
    );
    const high = readJobSettings({
      RETENTION_DAYS: "3650",
      DR_RETENTION_DAYS: "3650",
      S3_SYNC_CONCURRENCY: "512",
      JOB_TIMEOUT_SECONDS: "86400",
      HISTORY_RETENTION_DAYS: "3650",
    });
    assert.deepEqual(
      [
        high.retentionDays,
        high.drRetentionDays,
        high.s3SyncConcurrency,
        high.jobTimeoutSeconds,
        high.historyRetentionDays,
      ],
      [3650, 3650, 512, 86_400, 3650],
    );
  });

  it("must name the DR default (RETENTION_DAYS) as the example for DR_RETENTION_DAYS", () => {
    assert.throws(
      () => readJobSettings({ RETENTION_DAYS: "14", DR_RETENTION_DAYS: "0" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'DR_RETENTION_DAYS must be a whole number from 1 to 3650, e.g. 14 (got "0")',
    );
  });

  for (const [name, value, pattern] of [
    ["BACKUP_TAG", "=true", /^BACKUP_TAG must be Key=Value/],
    ["DR_REGION", "Seoul", /^DR_REGION must be an AWS region/],
    ["DISPLAY_TIME_ZONE", "Mars/Base", /^DISPLAY_TIME_ZONE must be an IANA time zone/],
    ["EVENTS_TOPIC_ARN", "drox-events", /^EVENTS_TOPIC_ARN must be an SNS topic ARN/],
  ] as const) {
    it(`must reject ${name}=${value} with an error naming the variable`, () => {
      assert.throws(
        () => readJobSettings({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      );
    });
  }

  it("must refuse a DR region equal to the primary region", () => {
    assert.throws(
      () => readJobSettings({ AWS_REGION: "us-east-1", DR_REGION: "us-east-1" }),
      /DR_REGION must differ/,
    );
  });
});
