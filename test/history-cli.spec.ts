import assert from "node:assert/strict";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { buildProgram } from "../runtime/cli";
import { registerHistoryCommand } from "../runtime/commands/history";
import { EXIT, type CliIo } from "../runtime/commands/io";
import type { BackupResult } from "../runtime/contract/events";
import { DynamoDbHistoryStore } from "../runtime/history/dynamodb";
import { formatSize } from "../runtime/ops/history";
import { createHistoryTable, TABLE } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

const NOW = new Date("2024-11-10T00:00:00Z");

function result(i: number, finishedAt: string, overrides: Partial<BackupResult> = {}): BackupResult {
  return {
    schema: "backup.result.v1",
    jobId: `job-${String(i).padStart(4, "0")}`,
    type: "EBS",
    resource: `vol-${i}`,
    status: "SUCCEEDED",
    startedAt: new Date(Date.parse(finishedAt) - 45_000).toISOString(),
    finishedAt,
    durationSeconds: 45,
    ...overrides,
  };
}

describe("drox-backup history (moto)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let store: DynamoDbHistoryStore;
  let commands: string[];
  let client: DynamoDBClient;

  async function history(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      isTTY: false,
      env: { ...moto.env, HISTORY_TABLE: TABLE, DISPLAY_TIME_ZONE: "Asia/Seoul" },
      exitCode: EXIT.OK,
    };
    const program = buildProgram(io, [
      (p, i) => registerHistoryCommand(p, i, { now: () => NOW, dynamodb: client }),
    ]);
    try {
      await program.parseAsync(["node", "drox-backup", "history", ...args]);
      return { code: io.exitCode, out, err };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      err.push(error.message);
      return { code: EXIT.USAGE, out, err };
    }
  }

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    await createHistoryTable();
    client = new DynamoDBClient({});
    commands = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize" },
    );
    store = new DynamoDbHistoryStore({ client: new DynamoDBClient({}), tableName: TABLE, now: () => NOW });
  });

  it("must print a terminal table in the display zone, newest first, with size, duration and error", async () => {
    await store.put(
      result(1, "2024-11-03T17:00:45.000Z", {
        metrics: { snapshotId: "snap-789", sizeBytes: 107_374_182_400 },
      }),
    );
    await store.put(
      result(2, "2024-11-04T02:00:00+09:00", {
        type: "RDS",
        resource: "db-instance-1",
        status: "FAILED",
        durationSeconds: 83,
        error: { message: "Database instance not found", code: "DBInstanceNotFound" },
      }),
    );
    await store.put(
      result(3, "2024-11-05T09:30:00+09:00", {
        type: "LOCAL_HDD",
        resource: "백업-서버",
        status: "WARNING",
        durationSeconds: 3_725,
        metrics: { sizeBytes: 1_610_612_736 },
      }),
    );
    const run = await history();
    assert.equal(run.code, EXIT.OK);
    assert.deepEqual(run.out, [
      "FINISHED (Asia/Seoul)  TYPE       RESOURCE       STATUS     DURATION       SIZE      ERROR",
      "2024-11-05 09:30:00    LOCAL_HDD  백업-서버      WARNING    1시간 2분 5초  1.5 GB",
      "2024-11-04 02:00:45    EBS        vol-1          SUCCEEDED  45초           100.0 GB",
      "2024-11-04 02:00:00    RDS        db-instance-1  FAILED     1분 23초                 Database instance not found",
      "3 run(s).",
    ]);
    assert.deepEqual([...new Set(commands)], ["QueryCommand"]);
  });

  it("must page through months with Query only and return every run newest first", async () => {
    const finished: string[] = [];
    for (let i = 0; i < 130; i++) {
      // Every 8 hours back from 9 Nov: the range spans October and November.
      const at = new Date(Date.parse("2024-11-09T20:00:00Z") - i * 8 * 3_600_000).toISOString();
      finished.push(at);
      await store.put(result(i, at));
    }
    const run = await history("--since", "2024-10-01", "--json");
    const items = JSON.parse(run.out.join("\n")) as BackupResult[];
    // 2024-10-01 is midnight in Seoul, 2024-09-30T15:00Z.
    assert.deepEqual(
      items.map((r) => r.finishedAt),
      finished.filter((at) => at >= "2024-09-30T15:00:00.000Z"),
    );
    assert.equal(items.length, 121, "every 8 h from 9 Nov 20:00 back to 30 Sep 20:00 UTC");
    assert.ok(commands.length >= 3, `one page of 100 at most per Query, got ${commands.length} calls`);
    assert.deepEqual([...new Set(commands)], ["QueryCommand"]);

    const capped = await history("--since", "2024-10-01", "--limit", "5");
    assert.equal(capped.out.length, 7);
    assert.equal(capped.out[6], "5 runs shown, more recorded: raise --limit or narrow --since.");
  });

  it("must filter by type and status, case as typed on the command line", async () => {
    await store.put(result(1, "2024-11-08T01:00:00Z"));
    await store.put(
      result(2, "2024-11-08T02:00:00Z", { type: "RDS", status: "FAILED", error: { message: "x" } }),
    );
    await store.put(result(3, "2024-11-08T03:00:00Z", { type: "RDS" }));
    await store.put(result(4, "2024-11-08T04:00:00Z", { status: "FAILED", error: { message: "y" } }));
    const ids = async (...args: string[]) =>
      (JSON.parse((await history(...args, "--json")).out.join("\n")) as BackupResult[]).map((r) => r.jobId);
    assert.deepEqual(await ids("--type", "rds"), ["job-0003", "job-0002"]);
    assert.deepEqual(await ids("--status", "failed"), ["job-0004", "job-0002"]);
    assert.deepEqual(await ids("--type", "rds", "--status", "failed"), ["job-0002"]);
    assert.deepEqual(await ids("--since", "2024-11-08"), ["job-0004", "job-0003", "job-0002", "job-0001"]);
    // 46 h before 10 Nov 00:00 UTC is 8 Nov 02:00 UTC, inclusive: job 1 (01:00 UTC) is older.
    assert.deepEqual(await ids("--since", "46h"), ["job-0004", "job-0003", "job-0002"]);
  });

  it("must say so when nothing was recorded in the range", async () => {
    await store.put(result(1, "2024-10-01T00:00:00Z"));
    const run = await history("--since", "7d");
    assert.equal(run.code, EXIT.OK);
    assert.deepEqual(run.out, ["No recorded runs since 7d (2024-11-03T00:00:00.000Z) with these filters."]);
    assert.deepEqual(JSON.parse((await history("--json")).out.join("\n")), []);
  });

  it("must refuse a --since it cannot read and an unknown type", async () => {
    const since = await history("--since", "last week");
    assert.equal(since.code, EXIT.USAGE);
    assert.deepEqual(since.err, ['--since must be like 7d, 12h or 2024-11-01, got "last week"']);
    const type = await history("--type", "ec2");
    assert.equal(type.code, EXIT.USAGE);
    assert.match(type.err.join("\n"), /Allowed choices are ebs, rds, s3, local_hdd/);
  });

  it("must size like AWS volumes, 1024-based", () => {
    assert.equal(formatSize(undefined), "");
    assert.equal(formatSize(512), "512 B");
    assert.equal(formatSize(1_610_612_736), "1.5 GB");
    assert.equal(formatSize(107_374_182_400), "100.0 GB");
  });
});
