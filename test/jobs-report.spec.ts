import assert from "node:assert/strict";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  parseEventJson,
  WeeklyReportSchema,
  type BackupResult,
  type WeeklyReport,
} from "../runtime/contract/events";
import { DynamoDbHistoryStore } from "../runtime/history/dynamodb";
import { buildWeeklyReport, sendWeeklyReport, weekPeriod } from "../runtime/jobs";
import { isoInZone, startOfDay } from "../runtime/jobs/report";
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

/**
 * A week clear of the seed's (whose last run lands on 2024-11-03 00:00): [2024-11-10, 2024-11-17)
 * KST, reported on Sunday 2024-11-17 (3주차).
 */
const LATER_WEEK_START = Date.parse("2024-11-10T00:00:00+09:00");
const LATER_REPORT_AT = new Date("2024-11-17T09:00:00+09:00");

/**
 * A week with WARNING runs, counted by hand: 6 SUCCEEDED, 3 WARNING, 1 FAILED = 10 runs; success
 * rate 6/10 (WARNING needs review, it is not a success); 475 s in all, 47.5 s → 48 s on average.
 */
function warningWeek(): BackupResult[] {
  const statuses = ["SUCCEEDED", "WARNING", "SUCCEEDED", "FAILED", "SUCCEEDED", "WARNING"] as const;
  const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 25];
  return durations.map((seconds, i) => {
    const status = statuses[i] ?? (i === 9 ? "WARNING" : "SUCCEEDED");
    return run(200 + i, LATER_WEEK_START + (i + 1) * 3_600_000 * 12, seconds, {
      status,
      ...(status === "FAILED" ? { error: { message: "Volume not found" } } : {}),
    });
  });
}

function historyStore(): DynamoDbHistoryStore {
  return new DynamoDbHistoryStore({
    client: new DynamoDBClient({}),
    tableName: TABLE,
    now: () => new Date(KST_WEEK_END),
  });
}

describe("weekly report", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  beforeEach(async () => {
    const store = historyStore();
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

  it("must report an empty week as zero runs with a 0 success rate, and still be a valid report", async () => {
    const report = await buildWeeklyReport(
      { at: new Date("2025-03-02T10:00:00+09:00") },
      testDeps(aws.fixture.env),
    );
    assert.deepEqual(report, {
      schema: "backup.report.v1",
      reportId: "weekly-2025-03-02",
      periodStart: "2025-02-23T00:00:00+09:00",
      periodEnd: "2025-03-02T00:00:00+09:00",
      weekLabel: "1주차",
      total: 0,
      succeeded: 0,
      warnings: 0,
      failed: 0,
      successRate: 0,
      averageDurationSeconds: 0,
      failedJobs: [],
      // no runs in any of the 8 weeks up to this one
      recentSuccessRates: [null, null, null, null, null, null, null, null],
    } satisfies WeeklyReport);
    assert.deepEqual(WeeklyReportSchema.parse(report), report);
  });

  it("must count WARNING runs apart, keep total = succeeded + warnings + failed, and deliver a valid report", async () => {
    const store = historyStore();
    for (const record of warningWeek()) await store.put(record);
    const report = await sendWeeklyReport({ at: LATER_REPORT_AT }, testDeps(aws.fixture.env));
    // The trend's earlier weeks hold other tests' runs; its last week is this report's own.
    const { recentSuccessRates, ...figures } = report;
    assert.equal(recentSuccessRates?.length, 8);
    assert.equal(recentSuccessRates?.at(-1), 0.6);
    assert.deepEqual(figures, {
      schema: "backup.report.v1",
      reportId: "weekly-2024-11-17",
      periodStart: "2024-11-10T00:00:00+09:00",
      periodEnd: "2024-11-17T00:00:00+09:00",
      weekLabel: "3주차",
      total: 10,
      succeeded: 6,
      warnings: 3,
      failed: 1,
      successRate: 0.6,
      averageDurationSeconds: 48,
      failedJobs: [{ type: "S3", resource: "res-203", jobId: "job-203" }],
    } satisfies WeeklyReport);
    // What the Slack and Notion Lambdas receive, validated as they validate it.
    const [message, ...more] = await drainQueue(aws.fixture);
    assert.deepEqual(more, []);
    assert.deepEqual(parseEventJson(message!.Message), report);
  });

  it("must read every page of a busy week (more runs than one history page holds)", async () => {
    // 130 runs over a later week, every 10th FAILED and every 10th (offset 5) WARNING:
    // 13 failed, 13 warnings, 104 succeeded, each 60 s.
    const store = historyStore();
    const step = Math.floor((7 * 86_400_000) / 131);
    for (let i = 0; i < 130; i++) {
      const status = i % 10 === 0 ? "FAILED" : i % 10 === 5 ? "WARNING" : "SUCCEEDED";
      await store.put(
        run(1000 + i, LATER_WEEK_START + (i + 1) * step, 60, {
          status,
          ...(status === "FAILED" ? { error: { message: "x" } } : {}),
        }),
      );
    }
    const report = await buildWeeklyReport({ at: LATER_REPORT_AT }, testDeps(aws.fixture.env));
    assert.deepEqual(
      [report.total, report.succeeded, report.warnings, report.failed, report.averageDurationSeconds],
      [130, 104, 13, 13, 60],
    );
    assert.equal(report.successRate, 0.8);
    // Oldest first, as the week happened.
    assert.deepEqual(
      report.failedJobs.map((job) => job.jobId),
      Array.from({ length: 13 }, (_, k) => `job-${1000 + k * 10}`),
    );
  });

  it("must define the period in the display time zone, across a DST change", () => {
    const period = weekPeriod(new Date("2024-11-03T15:00:00Z"), "America/New_York");
    assert.equal(period.reportDate, "2024-11-03");
    assert.equal(period.start.toISOString(), "2024-10-27T04:00:00.000Z");
    assert.equal(period.end.toISOString(), "2024-11-03T04:00:00.000Z");
    const seoul = weekPeriod(new Date("2024-11-02T16:30:00Z"), "Asia/Seoul");
    assert.equal(seoul.reportDate, "2024-11-03", "01:30 KST on Sunday is already Sunday");
  });

  it("must find the zone's midnight where the clocks change at midnight (Santiago, 2024-04-07)", () => {
    // Chile leaves summer time at 24:00 on Saturday 2024-04-06 (-03 → -04): Sunday starts at 04:00Z.
    assert.equal(startOfDay("2024-04-07", "America/Santiago").toISOString(), "2024-04-07T04:00:00.000Z");
    const period = weekPeriod(new Date("2024-04-07T12:00:00Z"), "America/Santiago");
    assert.equal(period.start.toISOString(), "2024-03-31T03:00:00.000Z");
    assert.equal(period.end.toISOString(), "2024-04-07T04:00:00.000Z");
    assert.equal(startOfDay("2024-11-03", "Asia/Seoul").toISOString(), "2024-11-02T15:00:00.000Z");
  });

  it("must write period bounds with the zone's own offset, west, east and on the half hour", () => {
    const cases: [string, string, string][] = [
      ["2024-11-02T15:00:00Z", "Asia/Seoul", "2024-11-03T00:00:00+09:00"],
      ["2024-11-03T04:00:00Z", "America/New_York", "2024-11-03T00:00:00-04:00"],
      ["2024-11-04T05:00:00Z", "America/New_York", "2024-11-04T00:00:00-05:00"],
      ["2024-11-02T18:30:00Z", "Asia/Kolkata", "2024-11-03T00:00:00+05:30"],
      ["2024-12-01T03:30:00Z", "America/St_Johns", "2024-12-01T00:00:00-03:30"],
      ["2024-11-02T10:15:00Z", "Pacific/Chatham", "2024-11-03T00:00:00+13:45"],
      // Milliseconds are not part of the wall time and must not shift the offset.
      ["2024-11-03T04:00:00.750Z", "UTC", "2024-11-03T04:00:00+00:00"],
    ];
    for (const [instant, zone, expected] of cases) {
      assert.equal(isoInZone(new Date(instant), zone), expected, `${instant} in ${zone}`);
    }
  });

  it("must not depend on the time zone of the machine it runs on (a laptop in Seoul, CI in UTC)", () => {
    const saved = process.env.TZ;
    try {
      for (const machine of ["Asia/Seoul", "America/Los_Angeles", "UTC"]) {
        process.env.TZ = machine; // Node re-reads TZ when it changes
        assert.equal(
          startOfDay("2024-11-03", "Asia/Seoul").toISOString(),
          "2024-11-02T15:00:00.000Z",
          machine,
        );
        assert.equal(
          isoInZone(new Date("2024-11-03T04:00:00Z"), "America/New_York"),
          "2024-11-03T00:00:00-04:00",
        );
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
