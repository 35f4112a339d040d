/**
 * Issue 11's follow-up "a retried job that succeeds": a successful run whose previous run of the
 * same resource FAILED carries `followUpOf` = that failed job, so bot mode replies in the
 * failure's thread and updates its page. Runs against moto (history table, events topic).
 */
import assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import type { BackupResult, DroxEvent } from "../runtime/contract/events";
import type { HistoryQuery } from "../runtime/history/store";
import { runBackups } from "../runtime/jobs";
import { followUpDrCopies, followUpPending, retriedFailure, withRetryOf } from "../runtime/jobs/follow-up";
import type { EventPublisher } from "../runtime/publishing/publisher";
import { MemoryHistory } from "./support/memory-history";
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

/**
 * The follow-up events themselves (runtime/jobs/follow-up.ts), against an in-memory history that is
 * idempotent on the job id like DynamoDB's conditional put, and a publisher that records.
 */
describe("jobs: follow-up events", () => {
  const NOW = new Date("2024-11-05T04:00:00.000Z");
  const PENDING: BackupResult = {
    schema: "backup.result.v1",
    jobId: "01JC0000000000000000000010",
    type: "EBS",
    resource: "vol-0123456789abcdef0",
    status: "WARNING",
    startedAt: "2024-11-04T17:00:00.000Z",
    finishedAt: "2024-11-04T17:30:00.000Z",
    durationSeconds: 1800,
    metrics: { snapshotId: "snap-0abc", sizeBytes: 8 * 1024 ** 3 },
    error: { message: "Snapshot snap-0abc still pending after 1800 s; …", code: "SnapshotPending" },
  };

  class RecordingPublisher implements EventPublisher {
    readonly published: DroxEvent[] = [];
    fail = false;
    publish(event: DroxEvent): Promise<string> {
      if (this.fail) return Promise.reject(new Error("topic unavailable"));
      this.published.push(event);
      return Promise.resolve(`m-${this.published.length}`);
    }
  }

  function deps(records: readonly BackupResult[], now: Date = NOW) {
    const history = new MemoryHistory();
    for (const r of records) history.records.set(r.jobId, r);
    const publisher = new RecordingPublisher();
    return { deps: testDeps({}, { history, publisher, now: () => now }), history, publisher };
  }

  it("must follow up a pending snapshot now completed: <job>.done, SUCCEEDED, its improvement, recorded and published once", async () => {
    const { deps: d, history, publisher } = deps([PENDING]);
    assert.deepEqual(await followUpPending(d, [{ jobId: PENDING.jobId, done: true }]), []);
    const expected: BackupResult = {
      schema: "backup.result.v1",
      jobId: `${PENDING.jobId}.done`,
      type: "EBS",
      resource: "vol-0123456789abcdef0",
      status: "SUCCEEDED",
      startedAt: "2024-11-04T17:00:00.000Z",
      finishedAt: "2024-11-05T04:00:00.000Z",
      durationSeconds: 11 * 3600,
      metrics: { snapshotId: "snap-0abc", sizeBytes: 8 * 1024 ** 3 },
      followUpOf: PENDING.jobId,
      improvement: "무결성 검사에서 스냅샷 완료 확인",
    };
    assert.deepEqual(publisher.published, [expected]);
    assert.deepEqual(history.records.get(expected.jobId), expected);
    // A later check that sees the same snapshot publishes nothing.
    assert.deepEqual(await followUpPending(d, [{ jobId: PENDING.jobId, done: true }]), []);
    assert.equal(publisher.published.length, 1);
  });

  it("must follow up a pending snapshot that failed as FAILED SnapshotFailed with the state message", async () => {
    const { deps: d, publisher } = deps([PENDING]);
    await followUpPending(d, [{ jobId: PENDING.jobId, done: false, failure: "Internal error" }]);
    const [event] = publisher.published as BackupResult[];
    assert.equal(event?.status, "FAILED");
    assert.deepEqual(event?.error, { code: "SnapshotFailed", message: "Internal error" });
    assert.equal(event?.improvement, undefined);
    assert.equal(event?.jobId, `${PENDING.jobId}.done`);
  });

  it("must leave alone a snapshot still in progress, a run that was not pending and an unknown job", async () => {
    const succeeded: BackupResult = { ...PENDING, jobId: "01JC0000000000000000000011", status: "SUCCEEDED" };
    delete (succeeded as { error?: unknown }).error;
    const otherWarning: BackupResult = {
      ...PENDING,
      jobId: "01JC0000000000000000000012",
      error: { message: "not encrypted", code: "SnapshotNotEncrypted" },
    };
    const warningWithoutError: BackupResult = { ...PENDING, jobId: "01JC0000000000000000000013" };
    delete (warningWithoutError as { error?: unknown }).error;
    const { deps: d, publisher } = deps([PENDING, succeeded, otherWarning, warningWithoutError]);
    await followUpPending(d, [
      { jobId: PENDING.jobId, done: false },
      { jobId: succeeded.jobId, done: true },
      { jobId: otherWarning.jobId, done: true },
      { jobId: warningWithoutError.jobId, done: true },
      { jobId: "01JC0000000000000000000099", done: true },
    ]);
    assert.deepEqual(publisher.published, []);
  });

  it("must answer what could not be published, and never give a negative duration", async () => {
    const early = new Date(Date.parse(PENDING.startedAt) - 5_000);
    const { deps: d, publisher, history } = deps([PENDING], early);
    publisher.fail = true;
    assert.deepEqual(await followUpPending(d, [{ jobId: PENDING.jobId, done: true }]), [
      "publish backup.result.v1: topic unavailable",
    ]);
    assert.equal(history.records.get(`${PENDING.jobId}.done`)?.durationSeconds, 0);
  });

  it("must follow up a job's DR copies once all are completed, or as FAILED DrCopyFailed once one failed", async () => {
    const copied: BackupResult = { ...PENDING, jobId: "01JC0000000000000000000020", status: "SUCCEEDED" };
    delete (copied as { error?: unknown }).error;
    const failing: BackupResult = { ...copied, jobId: "01JC0000000000000000000021" };
    const inProgress: BackupResult = { ...copied, jobId: "01JC0000000000000000000022" };
    const { deps: d, publisher } = deps([copied, failing, inProgress]);
    await followUpDrCopies(d, [
      { jobId: copied.jobId, done: true },
      { jobId: copied.jobId, done: true },
      { jobId: failing.jobId, done: false },
      { jobId: failing.jobId, done: true, failure: "Copy failed: KMS key disabled" },
      { jobId: inProgress.jobId, done: true },
      { jobId: inProgress.jobId, done: false },
    ]);
    const events = publisher.published as BackupResult[];
    assert.deepEqual(
      events.map((e) => [e.jobId, e.status, e.followUpOf, e.improvement, e.error]),
      [
        [`${copied.jobId}.dr`, "SUCCEEDED", copied.jobId, "무결성 검사에서 DR 복사본 완료 확인", undefined],
        [
          `${failing.jobId}.dr`,
          "FAILED",
          failing.jobId,
          undefined,
          { code: "DrCopyFailed", message: "Copy failed: KMS key disabled" },
        ],
      ],
    );
  });

  it("must follow up a job's DR copies once, and answer what could not be published", async () => {
    const copied: BackupResult = { ...PENDING, jobId: "01JC0000000000000000000023", status: "SUCCEEDED" };
    const { deps: d, publisher } = deps([copied]);
    publisher.fail = true;
    assert.deepEqual(await followUpDrCopies(d, [{ jobId: copied.jobId, done: true }]), [
      "publish backup.result.v1: topic unavailable",
    ]);
    publisher.fail = false;
    assert.deepEqual(await followUpDrCopies(d, [{ jobId: copied.jobId, done: true }]), []);
    assert.deepEqual(publisher.published, [], "recorded by the first check: a later one publishes nothing");
  });

  it("must not follow up the DR copies of a failed run, of a follow-up, or of an unknown job", async () => {
    const failed: BackupResult = { ...PENDING, jobId: "01JC0000000000000000000030", status: "FAILED" };
    const followUp: BackupResult = {
      ...PENDING,
      jobId: "01JC0000000000000000000031",
      status: "SUCCEEDED",
      followUpOf: "01JC0000000000000000000001",
    };
    const { deps: d, publisher } = deps([failed, followUp]);
    await followUpDrCopies(d, [
      { jobId: failed.jobId, done: true },
      { jobId: followUp.jobId, done: true },
      { jobId: "01JC0000000000000000000039", done: true },
    ]);
    assert.deepEqual(publisher.published, []);
  });

  describe("a retried run that succeeds", () => {
    const RESULT: BackupResult = {
      schema: "backup.result.v1",
      jobId: "01JC0000000000000000000040",
      type: "RDS",
      resource: "db-1",
      status: "SUCCEEDED",
      startedAt: "2024-11-05T02:00:00.000Z",
      finishedAt: "2024-11-05T02:05:00.000Z",
      durationSeconds: 300,
    };
    const run = (
      jobId: string,
      status: BackupResult["status"],
      extra: Partial<BackupResult> = {},
    ): BackupResult => ({
      ...RESULT,
      jobId,
      status,
      ...extra,
    });

    /** Pages of history as the store answers a query, and the queries it was asked. */
    function paged(pages: readonly (readonly BackupResult[])[]) {
      const history = new MemoryHistory();
      const queries: HistoryQuery[] = [];
      history.list = (query: HistoryQuery) => {
        queries.push(query);
        const index = Number(query.cursor ?? 0);
        const next = index + 1 < pages.length ? String(index + 1) : undefined;
        return Promise.resolve({ items: pages[index] ?? [], ...(next ? { nextCursor: next } : {}) });
      };
      return { d: testDeps({}, { history, publisher: new RecordingPublisher() }), queries };
    }

    it("must ask the history for the same type's runs of the seven days before it started", async () => {
      const { d, queries } = paged([[run("01JC0000000000000000000041", "FAILED")]]);
      assert.equal(await retriedFailure(d, RESULT), "01JC0000000000000000000041");
      assert.deepEqual(queries, [
        { type: "RDS", from: "2024-10-29T02:00:00.000Z", to: "2024-11-05T02:00:00.000Z", limit: 100 },
      ]);
    });

    it("must skip other resources, itself and follow-ups, and read on through pages up to five", async () => {
      const { d, queries } = paged([
        [
          run("01JC0000000000000000000042", "FAILED", { resource: "db-2" }),
          run(RESULT.jobId, "FAILED"),
          run("01JC0000000000000000000043", "SUCCEEDED", { followUpOf: "01JC0000000000000000000044" }),
        ],
        [],
        [run("01JC0000000000000000000045", "FAILED")],
      ]);
      assert.equal(await retriedFailure(d, RESULT), "01JC0000000000000000000045");
      assert.deepEqual(
        queries.map((q) => q.cursor),
        [undefined, "1", "2"],
      );
      const six = paged(
        Array.from({ length: 6 }, (_, i) => (i === 5 ? [run("01JC0000000000000000000046", "FAILED")] : [])),
      );
      assert.equal(await retriedFailure(six.d, RESULT), undefined);
      assert.equal(six.queries.length, 5);
    });

    it("must stop at the last page: no earlier run of the resource, one query", async () => {
      const { d, queries } = paged([[run("01JC0000000000000000000050", "FAILED", { resource: "db-2" })]]);
      assert.equal(await retriedFailure(d, RESULT), undefined);
      assert.equal(queries.length, 1);
    });

    it("must find none when the previous run succeeded, and not look for a run that did not succeed or is a follow-up", async () => {
      const { d, queries } = paged([[run("01JC0000000000000000000047", "WARNING")]]);
      assert.equal(await retriedFailure(d, RESULT), undefined);
      assert.equal(await retriedFailure(d, { ...RESULT, status: "WARNING" }), undefined);
      assert.equal(
        await retriedFailure(d, { ...RESULT, followUpOf: "01JC0000000000000000000048" }),
        undefined,
      );
      assert.equal(queries.length, 1);
    });

    it("must deliver the result as a run of its own when the history cannot answer", async () => {
      const { d } = paged([[run("01JC0000000000000000000049", "FAILED")]]);
      assert.deepEqual(await withRetryOf(d, RESULT), { ...RESULT, followUpOf: "01JC0000000000000000000049" });
      const history = new MemoryHistory();
      history.list = () => Promise.reject(new Error("throttled"));
      assert.deepEqual(
        await withRetryOf(testDeps({}, { history, publisher: new RecordingPublisher() }), RESULT),
        RESULT,
      );
    });
  });
});
