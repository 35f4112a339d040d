/**
 * `drox-backup restore` as an operator runs it (spawned like `npx tsx runtime/cli.ts`): the dry run's
 * listing and total, the RDS endpoint line, and `… | head` — stdout closed after the first line —
 * ending quietly instead of crashing on EPIPE.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateDBSnapshotCommand, RDSClient } from "@aws-sdk/client-rds";
import pLimit from "p-limit";
import { snapshotTags } from "../runtime/jobs/tags";
import { BACKUP_BUCKET, createTestDbInstance, motoS3, useJobsAws } from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");
const CLI = ["--import", "tsx", resolve(ROOT, "runtime/cli.ts")];

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", USER: "carol", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe("drox-backup restore (CLI)", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });

  it("must list a dry run's objects and total size, and exit 0", async () => {
    const s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: "restored" }));
    await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: "logs/a.txt", Body: "12345" }));
    await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: "logs/b.txt", Body: "123" }));
    const run = await cli(
      ["restore", "s3", "--source", "logs", "--to", "restored", "--dry-run"],
      aws.fixture.env,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.match(lines[0]!, /^copy {7}a\.txt {2}5 B {2}version \S+$/);
    assert.match(lines[1]!, /^copy {7}b\.txt {2}3 B {2}version \S+$/);
    assert.equal(
      lines[2],
      "dry run: 2 object(s) would be copied, 8 bytes (0.0 MiB); 0 already identical; 0 refused without --overwrite; 0 deleted by then; 0 created only later",
    );
    assert.equal(lines.length, 3);
  });

  it("must print the new instance with its endpoint and exit 0", async () => {
    await createTestDbInstance("db-prod");
    await new RDSClient({}).send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: "db-prod",
        DBSnapshotIdentifier: "drox-db-prod-1",
        Tags: snapshotTags({ jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S", source: "db-prod", retentionDays: 7 }),
      }),
    );
    const run = await cli(
      [
        "restore",
        "rds",
        "--snapshot",
        "latest",
        "--instance",
        "db-prod",
        "--to",
        "db-copy",
        "--timeout",
        "30",
      ],
      aws.fixture.env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^SUCCEEDED\s+RDS\s+db-copy\s+from drox-db-prod-1\s+endpoint db-copy\.\S+:5432\s+\d+초\s+restore [0-9A-Z]{26}$/m,
    );
  });

  it("must exit 2 when the target instance exists, before restoring anything", async () => {
    await createTestDbInstance("db-prod");
    await new RDSClient({}).send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: "db-prod",
        DBSnapshotIdentifier: "drox-db-prod-1",
        Tags: snapshotTags({ jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S", source: "db-prod", retentionDays: 7 }),
      }),
    );
    const run = await cli(
      ["restore", "rds", "--snapshot", "drox-db-prod-1", "--to", "db-prod"],
      aws.fixture.env,
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^error: DB instance db-prod already exists: a restore never replaces anything, choose a new --to identifier$/m,
    );
    assert.equal(run.stdout, "");
  });

  it("must end quietly with exit 0 when stdout is closed after the first line (| head -1)", async () => {
    const s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: "restored" }));
    // More output than a pipe buffers (64 KiB), so writes go on after the reader has gone.
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        limit(() =>
          s3.send(
            new PutObjectCommand({
              Bucket: BACKUP_BUCKET,
              Key: `big/${String(i).padStart(4, "0")}-${"x".repeat(900)}`,
              Body: "x",
            }),
          ),
        ),
      ),
    );
    const child = spawn(
      process.execPath,
      [...CLI, "restore", "s3", "--source", "big", "--to", "restored", "--dry-run"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", ...aws.fixture.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    let first = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (first.includes("\n")) return;
      first += chunk.toString();
      // What `head -1` does: read one line, then close the pipe.
      if (first.includes("\n")) child.stdout.destroy();
    });
    const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
    assert.match(first, /^copy {7}big|^copy {7}0000-/);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /);
  });
});
