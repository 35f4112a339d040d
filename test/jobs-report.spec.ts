import assert from "node:assert/strict";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { BackupResult, WeeklyReport } from "../runtime/contract/events";
import { DynamoDbHistoryStore } from "../runtime/history/dynamodb";
import { buildWeeklyReport, sendWeeklyReport, weekPeriod } from "../runtime/jobs";
import { drainQueue, TABLE, testDeps, useJobsAws } from "./jobs-fixtures";

const KST_WEEK_START = Date.parse("2024-10-27T00:00:00+09:00");
const KST_WEEK_END = Date.parse("2024-11-03T00:00:00+09:00");

function run(
  i: number,
  finishedMs: number,
  durationSeconds: number,
  overrides: Partial<BackupResult> = {},
): BackupResult {
  return {
    schema: "backup.result.v1",
    jobId: `job-${String(i).padStart(3, "0")}`,
    type: (["EBS", "RDS", "S3"] as const)[i % 3]!,
    resource: `res-${i}`,
    status: "SUCCEEDED",
    startedAt: new Date(finishedMs - durationSeconds * 1000).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    durationSeconds,
    ...overrides,
  };
}

/** The seed's week: 42 runs, 2 failures, 38 s on average, plus runs just outside the week. */
function seedWeek(): BackupResult[] {
  const records: BackupResult[] = [];
  const step = (KST_WEEK_END - KST_WEEK_START) / 42;
  for (let i = 0; i < 42; i++) {
    records.push(run(i, KST_WEEK_START + Math.floor(i * step), i % 2 === 0 ? 30 : 46));
  }
  records[10] = run(10, KST_WEEK_START + Math.floor(10 * step), 30, {
    type: "EBS",
    resource: "vol-old-123",
    status: "FAILED",
    error: { message: "Volume not found" },
  });
  records[30] = run(30, KST_WEEK_START + Math.floor(30 * step), 30, {
    type: "RDS",
    resource: "db-test-456",
    status: "FAILED",
    error: { message: "Database instance not found", code: "DBInstanceNotFound" },
  });
  // Just outside: a second before the week, and exactly at its (exclusive) end.
  records.push(run(100, KST_WEEK_START - 1000, 999, { status: "FAILED", error: { message: "before" } }));
  records.push(run(101, KST_WEEK_END, 999, { status: "FAILED", error: { message: "after" } }));
  return records;
}

describe("weekly report", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  beforeEach(async () => {
    const store = new DynamoDbHistoryStore({
      client: new DynamoDBClient({}),
      tableName: TABLE,
      now: () => new Date(KST_WEEK_END),
    });
    for (const record of seedWeek()) await store.put(record);
  });

  it("must aggregate the seed's week into 42 runs, 40 succeeded, 95.2%, 38 s and the two failures", async () => {
    const report = await buildWeeklyReport(
      { at: new Date("2024-11-03T09:00:00+09:00") },
      testDeps(aws.fixture.env),
    );
    assert.deepEqual(report, {
      schema: "backup.report.v1",
      reportId: "weekly-2024-11-03",
      periodStart: "2024-10-27T00:00:00+09:00",
      periodEnd: "2024-11-03T00:00:00+09:00",
      weekLabel: "1주차",
      total: 42,
      succeeded: 40,
      warnings: 0,
      failed: 2,
      successRate: 40 / 42,
      averageDurationSeconds: 38,
      failedJobs: [
        { type: "EBS", resource: "vol-old-123", jobId: "job-010" },
        { type: "RDS", resource: "db-test-456", jobId: "job-030" },
      ],
      // The chart's 8 weeks, oldest first: nothing before the week just before, whose only run is
      // the failure a second before this week, then this week's 40 of 42.
      recentSuccessRates: [null, null, null, null, null, null, 0, 40 / 42],
    } satisfies WeeklyReport);
    assert.equal((report.successRate * 100).toFixed(1), "95.2");
  });

  it("must report the same week whatever hour of the Sunday it runs, and publish it", async () => {
    const deps = testDeps(aws.fixture.env);
    const early = await buildWeeklyReport({ at: new Date("2024-11-03T00:00:00+09:00") }, deps);
    const late = await sendWeeklyReport({ at: new Date("2024-11-03T23:59:59+09:00") }, deps);
    assert.deepEqual(early, late);
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), late);
    assert.deepEqual(message!.MessageAttributes, { schema: { Type: "String", Value: "backup.report.v1" } });
  });

  it("must report an empty week as zero runs with a 0 success rate", async () => {
    const report = await buildWeeklyReport(
      { at: new Date("2025-03-02T10:00:00+09:00") },
      testDeps(aws.fixture.env),
    );
    assert.equal(report.total, 0);
    assert.equal(report.successRate, 0);
    assert.equal(report.weekLabel, "1주차");
  });

  it("must define the period in the display time zone, across a DST change", () => {
    const period = weekPeriod(new Date("2024-11-03T15:00:00Z"), "America/New_York");
    assert.equal(period.reportDate, "2024-11-03");
    assert.equal(period.start.toISOString(), "2024-10-27T04:00:00.000Z");
    assert.equal(period.end.toISOString(), "2024-11-03T04:00:00.000Z");
    const seoul = weekPeriod(new Date("2024-11-02T16:30:00Z"), "Asia/Seoul");
    assert.equal(seoul.reportDate, "2024-11-03", "01:30 KST on Sunday is already Sunday");
  });
});
