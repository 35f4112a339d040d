/**
 * Issue 11's follow-up "a retried job that succeeds": a successful run whose previous run of the
 * same resource FAILED carries `followUpOf` = that failed job, so bot mode replies in the
 * failure's thread and updates its page. Runs against moto (history table, events topic).
 */
import assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import type { BackupResult } from "../runtime/contract/events";
import { runBackups } from "../runtime/jobs";
import { createTestVolume, drainQueue, FAST_WAITS, testDeps, useJobsAws } from "./jobs-fixtures";

const HOUR = 3_600_000;

function earlierRun(
  jobId: string,
  resource: string,
  status: "FAILED" | "SUCCEEDED",
  hoursAgo: number,
): BackupResult {
  const finished = new Date(Date.now() - hoursAgo * HOUR);
  return {
    schema: "backup.result.v1",
    jobId,
    type: "EBS",
    resource,
    status,
    startedAt: new Date(finished.getTime() - 60_000).toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: 60,
    ...(status === "FAILED" ? { error: { code: "SnapshotLimitExceeded", message: "limit" } } : {}),
  };
}

describe("jobs: a retried job that succeeds follows up the failure", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  async function backUp(volumeId: string, seed: readonly BackupResult[]): Promise<BackupResult> {
    const env = { ...aws.fixture.env, EBS_VOLUME_IDS: volumeId };
    const deps = testDeps(env);
    for (const record of seed) assert.equal(await deps.history.put(record), true);
    const [result] = await runBackups("EBS", { ...FAST_WAITS, skipRetention: true }, deps);
    assert.equal(result?.status, "SUCCEEDED");
    const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as BackupResult);
    assert.deepEqual(published, [result], "the run is published as recorded");
    assert.deepEqual(await deps.history.get(result.jobId), result, "and recorded so");
    return result;
  }

  it("must set followUpOf to the previous run of the same resource when it failed", async () => {
    const volumeId = await createTestVolume({ ec2: new EC2Client({}), encrypted: true });
    const result = await backUp(volumeId, [
      earlierRun("01JC0000000000000000000001", volumeId, "SUCCEEDED", 48),
      earlierRun("01JC0000000000000000000002", volumeId, "FAILED", 24),
      // Another volume's failure, later: not this resource's retry.
      earlierRun("01JC0000000000000000000003", "vol-0aaaaaaaaaaaaaaaa", "FAILED", 2),
    ]);
    assert.equal(result.followUpOf, "01JC0000000000000000000002");
  });

  it("must not when the previous run succeeded, or the failure is older than the retry window", async () => {
    const volumeId = await createTestVolume({ ec2: new EC2Client({}), encrypted: true });
    const afterSuccess = await backUp(volumeId, [
      earlierRun("01JC0000000000000000000004", volumeId, "FAILED", 48),
      earlierRun("01JC0000000000000000000005", volumeId, "SUCCEEDED", 24),
    ]);
    assert.equal(afterSuccess.followUpOf, undefined);

    const other = await createTestVolume({ ec2: new EC2Client({}), encrypted: true });
    const afterOldFailure = await backUp(other, [
      earlierRun("01JC0000000000000000000006", other, "FAILED", 8 * 24),
    ]);
    assert.equal(afterOldFailure.followUpOf, undefined);
  });
});
