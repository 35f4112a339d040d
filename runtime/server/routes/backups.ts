/**
 * Backup runs and results over HTTP: start a run (202 at once, the results go out as events),
 * look a run up, accept a result from a backup that ran elsewhere (e.g. LOCAL_HDD), and page
 * through the history.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { BackupTypeSchema, parseBackupResult, StatusSchema, type BackupResult } from "../../events";
import type { HistoryStore } from "../../history";
import type { EventPublisher } from "../../publisher";
import { RUN_TYPES, type BackupRunner } from "../deps";
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
  })
  .refine((q) => !(q.from && q.to && Date.parse(q.to) <= Date.parse(q.from)), {
    path: ["to"],
    message: "must be after from",
  });

interface ReportOutcome {
  readonly status: 200 | 201;
  readonly body: { jobId: string; duplicate: boolean; messageId?: string };
}

export function backupRoutes(
  app: FastifyInstance,
  deps: { backups: BackupRunner; history: HistoryStore; publisher: EventPublisher; runs: RunTracker },
): void {
  const { backups, history, publisher, runs } = deps;

  app.post("/api/backups/run", async (request, reply) => {
    const body = parseOr400(RunRequest, request.body, "run request");
    const resources = body.resource ? [body.resource] : [];
    const run = runs.start(body.type, resources, (signal) =>
      backups.run(body.type, { resources: resources.length > 0 ? resources : undefined, signal }),
    );
    request.log.info({ runId: run.runId, type: body.type, resources }, "backup run started");
    return reply
      .code(202)
      .header("location", `/api/backups/runs/${run.runId}`)
      .send({ jobId: run.runId, type: run.type, resources, status: run.status, startedAt: run.startedAt });
  });

  app.get<{ Params: { runId: string } }>("/api/backups/runs/:runId", async (request) => {
    const run = runs.get(request.params.runId);
    if (!run)
      throw new HttpError(404, "NOT_FOUND", "no such run on this task (finished runs are in the history)");
    return run;
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
    const query = parseOr400(JobsQuery, request.query, "query");
    const page = await history.list(query);
    return { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
}
