/**
 * `POST /api/backups/drill` over real HTTP on loopback: the same token and 202/run-id behaviour as
 * `/api/backups/run`, the drill id as the run id, a refused drill visible at the run's location.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Drill, WeeklyReport } from "../runtime/contract/events";
import { DrillBusyError } from "../runtime/drills/lock";
import { createLogger } from "../runtime/logging/logger";
import { buildServer } from "../runtime/server/app";
import type { DrillRunOptions, RunType } from "../runtime/server/deps";
import { SEED_REPORT } from "./fixtures/events";
import { MemoryHistory } from "./support/memory-history";

const TOKEN = "drill-http-token-7b1e93c4a2f64d58";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

function drillOf(type: RunType, options: DrillRunOptions): Drill {
  return {
    schema: "backup.drill.v1",
    drillId: options.drillId,
    startedAt: "2026-11-28T14:00:00.000Z",
    finishedAt: "2026-11-28T14:12:04.000Z",
    status: "SUCCEEDED",
    resources: (options.resources ?? ["db-1"]).map((resource) => ({
      type: type === "ALL" ? "RDS" : type,
      resource,
      status: "SUCCEEDED",
      secondsToRestore: 724,
      findings: [],
    })),
    findings: [],
    verification: { dbVerified: true, securityCheck: true },
  };
}

describe("POST /api/backups/drill", () => {
  let app: FastifyInstance;
  let base: string;
  let calls: { type: RunType; options: DrillRunOptions }[];
  let behaviour: (type: RunType, options: DrillRunOptions) => Promise<Drill>;
  let refusal: string | undefined;

  beforeEach(async () => {
    calls = [];
    behaviour = async (type, options) => drillOf(type, options);
    refusal = undefined;
    app = await buildServer(
      {
        apiToken: TOKEN,
        logger: createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, d) => d() }) }),
        slack: { sendTest: async () => undefined },
        notion: { writeTestPage: async () => ({ pageId: "p" }) },
        backups: { run: async () => [] },
        history: new MemoryHistory(),
        publisher: { publish: async () => "m" },
        reports: { send: async () => SEED_REPORT as WeeklyReport },
        drills: {
          run: (type, options) => {
            calls.push({ type, options });
            return behaviour(type, options);
          },
          refusal: async () => refusal,
        },
      },
      { runDrainMs: 1_000 },
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    assert.ok(address && typeof address === "object");
    base = `http://127.0.0.1:${address.port}`;
  });

  afterEach(async () => {
    await app.close();
  });

  async function settled(location: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(base + location, { headers: AUTH });
      const body = (await res.json()) as Record<string, unknown>;
      if (body.status !== "RUNNING") return body;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the drill did not settle");
  }

  it("must start a drill with 202, the drill id as run id and job id, and report it at the run's location", async () => {
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ type: "RDS", resource: "db-1" }),
    });
    assert.equal(res.status, 202);
    const body = (await res.json()) as Record<string, unknown>;
    const runId = String(body.runId);
    assert.match(runId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(res.headers.get("location"), `/api/backups/runs/${runId}`);
    assert.deepEqual(
      { ...body, startedAt: undefined },
      {
        runId,
        drillId: runId,
        jobIds: [runId],
        type: "RDS",
        resources: ["db-1"],
        status: "RUNNING",
        startedAt: undefined,
        location: `/api/backups/runs/${runId}`,
      },
    );
    const state = await settled(`/api/backups/runs/${runId}`);
    assert.equal(state.status, "FINISHED");
    assert.deepEqual(state.results, [{ jobId: runId, type: "RDS", resource: "db-1", status: "SUCCEEDED" }]);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.type, "RDS");
    assert.deepEqual(calls[0]!.options.resources, ["db-1"]);
    assert.equal(calls[0]!.options.drillId, runId);
  });

  it("must drill every kind when no body is sent", async () => {
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      headers: { authorization: AUTH.authorization },
    });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { type: string }).type, "ALL");
  });

  it("must refuse a request without the token, like every /api route", async () => {
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 401);
    assert.equal(calls.length, 0);
  });

  it("must reject a resource with type ALL, naming the field", async () => {
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ type: "ALL", resource: "vol-1" }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /resource/);
    assert.equal(calls.length, 0);
  });

  it("must refuse with 409 and the running drill's id when one of its kind runs, starting nothing", async () => {
    refusal =
      "an RDS restore drill is already running (drill 01HOLDER, started 2026-11-28T14:00:00.000Z, lease until 2026-11-28T16:05:00.000Z); this one was not started. Wait for it to finish, or for its lease to end if its task was killed.";
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ type: "RDS" }),
    });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.deepEqual(body.error, { code: "DRILL_RUNNING", message: refusal });
    assert.equal(calls.length, 0);
  });

  it("must show a drill refused because one of its kind runs as FAILED with the reason", async () => {
    behaviour = async () => {
      throw new DrillBusyError("EBS", {
        drillId: "01HOLDER",
        since: "2026-11-28T14:00:00.000Z",
        until: "2026-11-28T16:05:00.000Z",
      });
    };
    const res = await fetch(`${base}/api/backups/drill`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ type: "EBS" }),
    });
    const { location } = (await res.json()) as { location: string };
    const state = await settled(location);
    assert.equal(state.status, "FAILED");
    assert.match(
      String(state.error),
      /^an EBS restore drill is already running \(drill 01HOLDER, started 2026-11-28T14:00:00.000Z/,
    );
  });
});
