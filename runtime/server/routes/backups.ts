/**
 * Backup runs and results over HTTP: start a run (202 at once, the results go out as events),
 * look a run up, accept a result from a backup that ran elsewhere (e.g. LOCAL_HDD), and page
 * through the history.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { BackupTypeSchema, parseBackupResult, StatusSchema, type BackupResult } from "../../contract/events";
import type { HistoryStore, JobRecord } from "../../history/store";
import { runIdOf, runJobPrefix, runStartedAt } from "../../jobs/run-ids";
import type { EventPublisher } from "../../publishing/publisher";
import { RUN_TYPES, type BackupRunner, type DrillRunner } from "../deps";
import { HttpError } from "../errors";
import type { RunTracker } from "../runs";
import { parseOr400 } from "../validation";

const RunRequest = z
  .strictObject({
    type: z.enum(RUN_TYPES, { message: `must be one of ${RUN_TYPES.join(", ")}` }),
    resource: z.string().trim().min(1, "must not be empty").max(1024).optional(),
  })
  .refine((body) => !(body.type === "ALL" && body.resource), {
    path: ["resource"],
    message: "needs a single type (EBS, RDS or S3), not ALL",
  });

const datetime = z.iso.datetime({
  offset: true,
  message: "must be an ISO 8601 date-time, e.g. 2024-11-04T00:00:00+09:00",
});

export const MAX_PAGE_SIZE = 100;

const runIdParam = z
  .string()
  .regex(/^[A-Za-z0-9._:/@+=-]{1,100}$/, "must be a run id as POST /api/backups/run returned it");

/** Pages read when a run is looked up in the history (a run with more results is cut off). */
const RUN_LOOKUP_PAGES = 20;

/** The results of run `runId` recorded so far, in job id order (`<runId>-1`, `-2`, …). */
async function recordedResults(history: HistoryStore, runId: string): Promise<JobRecord[]> {
  const started = runStartedAt(runId);
  const found: JobRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < RUN_LOOKUP_PAGES; page++) {
    const out = await history.list({
      jobIdPrefix: runJobPrefix(runId),
      // A result finishes after its run started (a minute of slack for clocks between tasks).
      ...(started ? { from: new Date(started.getTime() - 60_000).toISOString() } : {}),
      limit: MAX_PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    found.push(...out.items.filter((r) => runIdOf(r.jobId) === runId));
    cursor = out.nextCursor;
    if (!cursor) break;
  }
  const n = (jobId: string) => Number(jobId.slice(runJobPrefix(runId).length));
  return found.sort((a, b) => n(a.jobId) - n(b.jobId));
}

/** A window's `to` after its `from`, when both are given. */
function toAfterFrom(q: { from?: string; to?: string }): boolean {
  if (!q.from || !q.to) return true;
  return Date.parse(q.to) > Date.parse(q.from);
}

const JobsQuery = z
  .strictObject({
    from: datetime.optional(),
    to: datetime.optional(),
    status: StatusSchema.optional(),
    type: BackupTypeSchema.optional(),
    limit: z.coerce
      .number({ message: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
      .default(20),
    cursor: z.string().min(1).max(4096).optional(),
    runId: runIdParam.optional(),
  })
  .refine(toAfterFrom, {
    path: ["to"],
    message: "must be after from",
  });

interface ReportOutcome {
  readonly status: 200 | 201;
  readonly body: { jobId: string; duplicate: boolean; messageId?: string };
}

const DrillRequest = z
  .strictObject({
    type: z.enum(RUN_TYPES, { message: `must be one of ${RUN_TYPES.join(", ")}` }).default("ALL"),
    resource: z.string().trim().min(1, "must not be empty").max(1024).optional(),
  })
  .refine((body) => !(body.type === "ALL" && body.resource), {
    path: ["resource"],
    message: "needs a single type (EBS, RDS or S3), not ALL",
  });

/**
 * `POST /api/backups/drill`: a restore drill, started like a backup run (202 at once, looked up at
 * /api/backups/runs/:runId). The run id is the drill id, so `jobIds` names the drill as Slack and
 * Notion show it. A drill of a kind already running is refused with 409 and the running drill's id;
 * one started elsewhere in the instant between the check and the lock ends the run FAILED with it.
 */
function drillRoute(app: FastifyInstance, drills: DrillRunner, runs: RunTracker): void {
  app.post("/api/backups/drill", async (request, reply) => {
    const body = parseOr400(DrillRequest, request.body ?? {}, "drill request");
    const refused = await drills.refusal?.(body.type);
    if (refused) throw new HttpError(409, "DRILL_RUNNING", refused);
    const resources = body.resource ? [body.resource] : [];
    const run = runs.start(
      body.type,
      resources,
      async (signal, runId) => {
        const drill = await drills.run(body.type, {
          ...(resources.length > 0 ? { resources } : {}),
          signal,
          drillId: runId,
        });
        return drill.resources.map((r) => ({
          jobId: drill.drillId,
          type: r.type,
          resource: r.resource,
          status: r.status,
        }));
      },
      (runId) => [runId],
    );
    const location = `/api/backups/runs/${run.runId}`;
    request.log.info({ drillId: run.runId, type: body.type, resources }, "restore drill started");
    return reply.code(202).header("location", location).send({
      runId: run.runId,
      drillId: run.runId,
      jobIds: run.jobIds,
      type: run.type,
      resources,
      status: run.status,
      startedAt: run.startedAt,
      location,
    });
  });
}

export function backupRoutes(
  app: FastifyInstance,
  deps: {
    backups: BackupRunner;
    history: HistoryStore;
    publisher: EventPublisher;
    runs: RunTracker;
    drills?: DrillRunner;
  },
): void {
  if (deps.drills) drillRoute(app, deps.drills, deps.runs);
  const { backups, history, publisher, runs } = deps;

  app.post("/api/backups/run", async (request, reply) => {
    const body = parseOr400(RunRequest, request.body, "run request");
    const resources = body.resource ? [body.resource] : [];
    // A ConfigError here answers 503 NOT_CONFIGURED naming the setting, and nothing is started.
    await backups.check?.(body.type);
    const run = runs.start(body.type, resources, (signal, runId) =>
      backups.run(body.type, {
        resources: resources.length > 0 ? resources : undefined,
        signal,
        runId,
      }),
    );
    const location = `/api/backups/runs/${run.runId}`;
    request.log.info(
      { runId: run.runId, jobIds: run.jobIds, type: body.type, resources },
      "backup run started",
    );
    return reply
      .code(202)
      .header("location", location)
      .send({
        runId: run.runId,
        ...(run.jobIds ? { jobIds: run.jobIds } : {}),
        type: run.type,
        resources,
        status: run.status,
        startedAt: run.startedAt,
        location,
      });
  });

  // The task that started a run knows it while it runs (and a while after); any task can answer
  // from the history once results are recorded, since their job ids carry the run id.
  app.get<{ Params: { runId: string } }>("/api/backups/runs/:runId", async (request) => {
    const { runId } = request.params;
    const location = `/api/backups/runs/${runId}`;
    const run = runs.get(runId);
    if (run) return { ...run, location };
    if (!runIdParam.safeParse(runId).success) throw new HttpError(404, "NOT_FOUND", "no such run");
    const recorded = await recordedResults(history, runId);
    if (recorded.length === 0)
      throw new HttpError(
        404,
        "NOT_FOUND",
        "no such run on this task and no result of it recorded yet (a run records each result as it finishes)",
      );
    return {
      runId,
      status: "RECORDED",
      results: recorded.map((r) => ({
        jobId: r.jobId,
        type: r.type,
        resource: r.resource,
        status: r.status,
      })),
      location,
    };
  });

  // Concurrent reports of one job id on this task share one outcome, so only one is published.
  const reporting = new Map<string, Promise<ReportOutcome>>();

  async function record(result: BackupResult): Promise<ReportOutcome> {
    if (await history.get(result.jobId))
      return { status: 200, body: { jobId: result.jobId, duplicate: true } };
    // Publish before recording: if recording fails the client's retry publishes again, which the
    // subscribers absorb (they are idempotent on the job id); the other order would mark the job
    // as seen and drop its notification for good.
    const messageId = await publisher.publish(result);
    const created = await history.put(result);
    return { status: 201, body: { jobId: result.jobId, duplicate: !created, messageId } };
  }

  app.post("/api/backups/report", async (request, reply) => {
    const result = parseBackupResult(request.body);
    const running = reporting.get(result.jobId);
    // A failed first attempt leaves nothing behind: then this request records it itself.
    if (
      running &&
      (await running.then(
        () => true,
        // Stryker disable next-line ArrowFunction: undefined is as falsy as false here
        () => false,
      ))
    ) {
      return reply.code(200).send({ jobId: result.jobId, duplicate: true });
    }
    const pending = record(result);
    reporting.set(result.jobId, pending);
    try {
      const outcome = await pending;
      request.log.info(
        { jobId: result.jobId, duplicate: outcome.body.duplicate },
        "external result reported",
      );
      return reply.code(outcome.status).send(outcome.body);
    } finally {
      reporting.delete(result.jobId);
    }
  });

  app.get("/api/backups/jobs", async (request) => {
    const { runId, ...query } = parseOr400(JobsQuery, request.query, "query");
    // Stryker disable next-line ConditionalExpression: runStartedAt(undefined) tests "undefined", no ULID, and answers undefined too
    const started = runId === undefined ? undefined : runStartedAt(runId);
    const page = await history.list({
      ...query,
      ...(runId === undefined ? {} : { jobIdPrefix: runJobPrefix(runId) }),
      // A run's results finish after it started: no need to read further back.
      ...(query.from === undefined && started
        ? { from: new Date(started.getTime() - 60_000).toISOString() }
        : {}),
    });
    return { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
}
