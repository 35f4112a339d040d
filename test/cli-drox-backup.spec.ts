import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { BackupResult, WeeklyReport } from "../runtime/contract/events";
import {
  createBackupBucket,
  createTestVolume,
  drainQueue,
  motoS3,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns the CLI exactly as `npx tsx runtime/cli.ts …` does, with only the given environment. */
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

describe("drox-backup CLI", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  it("must print help with the commands and exit codes, and exit 0", async () => {
    const run = await cli(["--help"], {});
    assert.equal(run.code, 0);
    for (const text of ["run [options] <type>", "check", "report", "2  usage or configuration error"]) {
      assert.ok(run.stdout.includes(text), `help lacks ${text}`);
    }
  });

  it("must list the valid types for an unknown one and exit 2", async () => {
    const run = await cli(["run", "tape"], aws.fixture.env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Allowed choices are ebs, rds, s3, all/);
  });

  it("must name a missing setting and exit 2", async () => {
    const env: Record<string, string> = { ...aws.fixture.env, EBS_VOLUME_IDS: "vol-1" };
    delete env.HISTORY_TABLE;
    const run = await cli(["run", "ebs"], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /HISTORY_TABLE is not set/);
  });

  it("must refuse --resource with type all and exit 2", async () => {
    const run = await cli(["run", "all", "--resource", "vol-1"], aws.fixture.env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /single backup type/);
  });

  it("must back up configured volumes, print each result and exit 0", async () => {
    const id = await createTestVolume();
    const run = await cli(["run", "ebs"], { ...aws.fixture.env, EBS_VOLUME_IDS: id });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^SUCCEEDED\\s+EBS\\s+${id}\\s+snapshot snap-`, "m"));
    const [message] = await drainQueue(aws.fixture);
    assert.equal((JSON.parse(message!.Message) as BackupResult).resource, id);
  });

  it("must exit 1 when a resource FAILED, after backing up the others", async () => {
    const id = await createTestVolume();
    const run = await cli(
      ["run", "ebs", "--resource", "vol-0aaaaaaaaaaaaaaaa", id, "--json"],
      aws.fixture.env,
    );
    assert.equal(run.code, 1, run.stderr);
    const results = JSON.parse(run.stdout) as BackupResult[];
    assert.deepEqual(
      results.map((r) => [r.resource, r.status]),
      [
        ["vol-0aaaaaaaaaaaaaaaa", "FAILED"],
        [id, "SUCCEEDED"],
      ],
    );
    const deps = testDeps(aws.fixture.env);
    assert.equal(
      (await deps.history.get(results[0]!.jobId))?.error?.message,
      "Volume not found: vol-0aaaaaaaaaaaaaaaa",
    );
  });

  it("must exit 3 on WARNING and log plain progress lines when not on a terminal", async () => {
    const s3 = motoS3();
    await createBackupBucket(s3);
    await s3.send(new CreateBucketCommand({ Bucket: "logs" }));
    await s3.send(new PutObjectCommand({ Bucket: "logs", Key: "a.log", Body: "a" }));
    await s3.send(
      new PutObjectCommand({ Bucket: "logs", Key: "cold.log", Body: "c", StorageClass: "GLACIER" }),
    );
    const run = await cli(["run", "s3", "--resource", "logs"], aws.fixture.env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stdout, /^WARNING\s+S3\s+logs\s+files 1\/2/m);
    assert.match(run.stderr, /^s3 logs: 2\/2 objects, 1 copied, 0 unchanged, 1 failed/m);
    assert.ok(!run.stderr.includes("\u001b["), "no terminal control codes in plain output");
  });

  it("must run the integrity check and exit 1 on a CRITICAL finding", async () => {
    await createBackupBucket(motoS3(), undefined, false);
    const run = await cli(["check"], aws.fixture.env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^FAILED\s+integrity check check-/m);
    assert.match(run.stdout, /CRITICAL s3:\/\/drox-backup-store: Backup bucket has no public access block/);
  });

  it("must build and publish the weekly report for --week and exit 0", async () => {
    const deps = testDeps(aws.fixture.env);
    await deps.history.put({
      schema: "backup.result.v1",
      jobId: "job-in-week",
      type: "RDS",
      resource: "db-test-456",
      status: "FAILED",
      startedAt: "2024-10-30T02:00:00+09:00",
      finishedAt: "2024-10-30T02:00:03+09:00",
      durationSeconds: 3,
      error: { message: "Database instance not found" },
    });
    const run = await cli(["report", "weekly", "--week", "2024-11-03", "--json"], aws.fixture.env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as WeeklyReport;
    assert.equal(report.weekLabel, "1주차");
    assert.equal(report.failed, 1);
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), report);
  });

  it("must reject an impossible --week date with exit 2", async () => {
    const run = await cli(["report", "weekly", "--week", "2024-02-30"], aws.fixture.env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /must be a date YYYY-MM-DD/);
  });
});
