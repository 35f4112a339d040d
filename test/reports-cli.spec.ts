import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MonthlyReport, WeeklyReport } from "../runtime/contract/events";
import { drainQueue, testDeps, useJobsAws } from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns the CLI as `npx tsx runtime/cli.ts …` does, with only the given environment. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", resolve(ROOT, "runtime/cli.ts"), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Width and height from a PNG's IHDR (https://www.w3.org/TR/png-3/#11IHDR). */
function pngSize(png: Buffer): [number, number] {
  assert.equal(png.toString("latin1", 12, 16), "IHDR");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe("drox-backup report (CLI)", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "drox-report-"));
    const deps = testDeps(aws.fixture.env);
    await deps.history.put({
      schema: "backup.result.v1",
      jobId: "job-ok",
      type: "EBS",
      resource: "vol-1",
      status: "SUCCEEDED",
      startedAt: "2024-10-28T02:00:00+09:00",
      finishedAt: "2024-10-28T02:00:45+09:00",
      durationSeconds: 45,
    });
    await deps.history.put({
      schema: "backup.result.v1",
      jobId: "job-failed",
      type: "RDS",
      resource: "db-test-456",
      status: "FAILED",
      startedAt: "2024-10-30T02:00:00+09:00",
      finishedAt: "2024-10-30T02:00:03+09:00",
      durationSeconds: 3,
      error: { message: "Database instance not found" },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("must write the weekly chart with --chart and say where, without publishing on --dry-run", async () => {
    const file = join(dir, "weekly.png");
    const run = await cli(
      ["report", "weekly", "--week", "2024-11-03", "--chart", file, "--dry-run", "--json"],
      aws.fixture.env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`chart written to ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    const report = JSON.parse(run.stdout) as WeeklyReport;
    assert.equal(report.total, 2);
    assert.deepEqual(report.recentSuccessRates, [null, null, null, null, null, null, null, 0.5]);
    // Two backup types ran (EBS, RDS): two 800 × 220 panels.
    assert.deepEqual(pngSize(readFileSync(file)), [800, 440]);
    assert.deepEqual(await drainQueue(aws.fixture), []);
  });

  it("must build and publish the monthly report of --month", async () => {
    const run = await cli(["report", "monthly", "--month", "2024-10", "--json"], aws.fixture.env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as MonthlyReport;
    assert.equal(report.schema, "backup.monthly-report.v1");
    assert.equal(report.reportId, "monthly-2024-10");
    assert.deepEqual([report.total, report.succeeded, report.failed], [2, 1, 1]);
    assert.deepEqual(report.failedJobs, [{ type: "RDS", resource: "db-test-456", jobId: "job-failed" }]);
    // 28 and 30 October are in 4주차 and 5주차 (days 22–28, 29–31).
    assert.deepEqual(
      report.weeks.map((w) => [w.weekLabel, w.total]),
      [
        ["1주차", 0],
        ["2주차", 0],
        ["3주차", 0],
        ["4주차", 1],
        ["5주차", 1],
      ],
    );
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), report);
    assert.deepEqual(message!.MessageAttributes, {
      schema: { Type: "String", Value: "backup.monthly-report.v1" },
    });
  });

  it("must reject a month that is not YYYY-MM with exit 2", async () => {
    const run = await cli(["report", "monthly", "--month", "2024-13"], aws.fixture.env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /must be a month YYYY-MM/);
  });
});
