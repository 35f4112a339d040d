import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Drill } from "../runtime/contract/events";
import { DynamoDbDrillLock } from "../runtime/drills/lock";
import { runBackups } from "../runtime/jobs";
import { drainQueue, motoS3, TABLE, testDeps, useJobsAws } from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", resolve(ROOT, "runtime/cli.ts"), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe("drox-backup drill (CLI)", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });

  beforeEach(async () => {
    const s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: "drox-app" }));
    await s3.send(new PutObjectCommand({ Bucket: "drox-app", Key: "a.txt", Body: "hello" }));
    await runBackups("S3", { resources: ["drox-app"] }, testDeps(aws.fixture.env));
    await drainQueue(aws.fixture);
  });

  it("must run an S3 drill, print the drill as JSON and exit 0", async () => {
    const run = await cli(["drill", "s3", "--resource", "drox-app", "--json"], aws.fixture.env);
    assert.equal(run.code, 0, run.stderr);
    const drill = JSON.parse(run.stdout) as Drill;
    assert.equal(drill.schema, "backup.drill.v1");
    assert.equal(drill.status, "SUCCEEDED");
    assert.deepEqual(drill.resources[0]!.sample, { objects: 1, bytes: 5, sourceObjects: 1 });
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), drill);
  });

  it("must tell who holds a kind's lease, and nobody once it is given back or has ended", async () => {
    let now = new Date();
    const lock = new DynamoDbDrillLock(new DynamoDBClient({}), TABLE, () => now);
    assert.equal(await lock.current("EBS"), undefined);
    const until = new Date(now.getTime() + 60_000);
    await lock.acquire("EBS", "01HOLDINGDRILL000000000000", until);
    assert.deepEqual(await lock.current("EBS"), {
      drillId: "01HOLDINGDRILL000000000000",
      since: now.toISOString(),
      until: until.toISOString(),
    });
    assert.equal(await lock.current("RDS"), undefined);
    now = new Date(until.getTime() + 1);
    assert.equal(await lock.current("EBS"), undefined, "a lease past its end holds nothing");
    await lock.acquire("EBS", "01NEXTDRILL000000000000000", new Date(now.getTime() + 60_000));
    await lock.release("EBS", "01HOLDINGDRILL000000000000");
    assert.equal(
      (await lock.current("EBS"))?.drillId,
      "01NEXTDRILL000000000000000",
      "only the holder gives it back",
    );
    await lock.release("EBS", "01NEXTDRILL000000000000000");
    assert.equal(await lock.current("EBS"), undefined);
  });

  it("must refuse a drill while one of its kind runs, say why on stderr and exit 1", async () => {
    const lock = new DynamoDbDrillLock(new DynamoDBClient({}), TABLE);
    await lock.acquire("S3", "01HOLDINGDRILL000000000000", new Date(Date.now() + 600_000));
    const run = await cli(["drill", "s3", "--resource", "drox-app"], aws.fixture.env);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^refused: an S3 restore drill is already running \(drill 01HOLDINGDRILL000000000000, /m,
    );
    assert.equal(run.stdout, "");
    assert.deepEqual(await drainQueue(aws.fixture), []);
  });
});
