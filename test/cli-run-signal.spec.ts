import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import type { BackupResult } from "../runtime/contract/events";
import { createBackupBucket, drainQueue, motoS3, testDeps, useJobsAws } from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");

describe("drox-backup run on SIGTERM (ECS stopping the task)", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  it("must abort the sync, record and publish it as FAILED, print it and exit 1", async () => {
    const s3 = motoS3();
    await createBackupBucket(s3);
    await s3.send(new CreateBucketCommand({ Bucket: "big" }));
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        limit(() => s3.send(new PutObjectCommand({ Bucket: "big", Key: `k${i}`, Body: `v${i}` }))),
      ),
    );
    const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "runtime/cli.ts"), "run", "s3"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        LOG_LEVEL: "warn",
        ...aws.fixture.env,
        S3_SOURCE_BUCKETS: "big",
        S3_SYNC_CONCURRENCY: "1",
      },
    });
    let stdout = "";
    let stderr = "";
    let signalledAt = 0;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      // The first progress line: the sync is under way.
      if (!signalledAt && /^s3 big: /m.test(stderr)) {
        signalledAt = Date.now();
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
    assert.ok(signalledAt > 0, `the sync started: ${stderr}`);
    assert.ok(Date.now() - signalledAt < 10_000, "exited soon after SIGTERM");
    assert.equal(code, 1, stderr);
    assert.match(stderr, /SIGTERM received: aborting the run/);
    assert.match(
      stdout,
      /^FAILED\s+S3\s+big\s+.*\n\s+Backup aborted: S3 sync of bucket "big" was aborted after \d+ objects copied: drox-backup received SIGTERM$/m,
    );
    const [message, ...more] = await drainQueue(aws.fixture);
    assert.equal(more.length, 0);
    const published = JSON.parse(message!.Message) as BackupResult;
    assert.equal(published.status, "FAILED");
    assert.equal(published.error?.code, "Aborted");
    assert.deepEqual(await testDeps(aws.fixture.env).history.get(published.jobId), published);
  });
});
