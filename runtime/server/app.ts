/**
 * The HTTP service (Fastify): routes, bearer auth on /api/*, rate limits, body limits, one JSON
 * error shape, request ids and redacted pino logs. Everything it talks to comes in as ServiceDeps,
 * so tests wire the real modules against fakes and moto exactly as main.ts does against AWS.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { requireBearer } from "./auth";
import type { ServiceDeps } from "./deps";
import { handleError, handleNotFound } from "./errors";
import { backupRoutes } from "./routes/backups";
import { healthRoutes } from "./routes/health";
import { reportRoutes } from "./routes/reports";
import { testRoutes } from "./routes/tests";
import { RunTracker } from "./runs";

export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const DEFAULT_RATE_LIMIT = { max: 300, timeWindowMs: 60_000 } as const;
/** Under ECS's default 30 s stop timeout, leaving time to close connections and flush logs. */
export const DEFAULT_RUN_DRAIN_MS = 20_000;

/** Caller-supplied ids are kept (they tie our logs to theirs) only when short and plain. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface ServerOptions {
  /** How long closing waits for background backup runs before aborting them. */
  readonly runDrainMs?: number;
}

export async function buildServer(deps: ServiceDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  const hops = deps.trustProxyHops ?? 0;
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Trust exactly `hops` proxies (the ALB appends the real client to X-Forwarded-For), so a
    // client cannot pick its own address, and with it its rate-limit bucket.
    trustProxy: (_address: string, hop: number) => hop < hops,
    requestIdHeader: false,
    genReqId: requestId,
    // Fastify's own request lines log the raw request object, which the redacting formatter would
    // walk in full; one summary line per request from the onResponse hook below is cheaper.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
  });

  const runs = new RunTracker(deps.logger);
  const authenticate = requireBearer(deps.apiToken);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        client: request.ip,
      },
      "request completed",
    );
  });
  // Clients (PowerShell's Invoke-RestMethod, curl -H) send an empty JSON body to POST-only
  // endpoints; treat it as no body, and keep Fastify's prototype-poisoning-safe parser otherwise.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") done(null, undefined);
    else parseJson(request, text, done);
  });
  // Every body this API takes is JSON. Fastify ships a text/plain parser too, so a text/plain body
  // reached the routes as a string and was answered 400 by validation; without that parser it gets
  // 415 UNSUPPORTED_MEDIA_TYPE like any other non-JSON type (RFC 9110 §15.5.16,
  // https://fastify.dev/docs/latest/Reference/ContentTypeParser/).
  app.removeContentTypeParser("text/plain");

  // Rate limit before auth, so guessing tokens is throttled too.
  const limits = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  await app.register(rateLimit, { max: limits.max, timeWindow: limits.timeWindowMs });
  // A route-level hook added after the rate limiter's own (which it adds per route too), so the
  // limit runs first; routes marked public (GET /health) skip it.
  app.addHook("onRoute", (route) => {
    if (route.config?.public === true) return;
    const existing = route.onRequest;
    route.onRequest = [...(existing === undefined ? [] : [existing].flat()), authenticate];
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  healthRoutes(app);
  testRoutes(app, deps.slack, deps.notion);
  backupRoutes(app, {
    backups: deps.backups,
    history: deps.history,
    publisher: deps.publisher,
    runs,
    ...(deps.drills ? { drills: deps.drills } : {}),
  });
  reportRoutes(app, deps.reports);

  // Answers still in flight at shutdown ask the client to close the connection; otherwise a
  // keep-alive socket would hold close() open until Fastify's 72 s keep-alive timeout.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });

  app.addHook("onClose", async () => {
    const aborted = await runs.drain(options.runDrainMs ?? DEFAULT_RUN_DRAIN_MS);
    if (aborted > 0) deps.logger.warn({ aborted }, "backup runs aborted at shutdown");
  });
  return app;
}
