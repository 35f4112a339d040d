/**
 * The service's process: reads the environment, listens on PORT (default 8080), and on SIGTERM
 * (how ECS stops a task) or SIGINT stops accepting connections, lets in-flight requests finish,
 * waits for background backup runs up to SHUTDOWN_GRACE_SECONDS, then exits 0.
 */
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { redactText } from "../logging/redact";
import { createLogger, type Logger } from "../logging/logger";
import { buildServer } from "./app";
import { createServiceDepsFromEnv, readServiceSettings } from "./wiring";

export interface RunningService {
  readonly app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startService(
  env: NodeJS.ProcessEnv = process.env,
  logger: Logger = createLogger({ name: "drox-backup-service" }),
): Promise<RunningService> {
  const settings = readServiceSettings(env);
  const deps = await createServiceDepsFromEnv(env, logger, settings);
  const app = await buildServer(deps, { runDrainMs: settings.shutdownGraceMs });
  await app.listen({ port: settings.port, host: settings.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : settings.port;
  const host = settings.host === "0.0.0.0" ? "127.0.0.1" : settings.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}

/** Starts the service and resolves once it has shut down after a signal. */
export async function serve(
  env: NodeJS.ProcessEnv = process.env,
  logger: Logger = createLogger({ name: "drox-backup-service" }),
): Promise<void> {
  const service = await startService(env, logger);
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "shutting down: finishing in-flight requests");
      service.close().then(() => {
        logger.info("shut down cleanly");
        resolve();
      }, reject);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

/** Longest wait for the last log lines to reach stdout before exiting anyway. */
const LOG_FLUSH_MS = 2_000;

/**
 * Ends the log stream and resolves once every line is written. pino's default stdout stream writes
 * asynchronously, and its exit hook (flushSync) skips a write still in flight: exiting right after
 * the last log call lost "shut down cleanly" whenever stdout was slow to drain (a busy reader, as
 * under load or a slow log driver).
 */
function endLog(destination: ReturnType<typeof pino.destination>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LOG_FLUSH_MS);
    timer.unref();
    destination.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    destination.end();
  });
}

/**
 * Runs the service with its own stdout log stream until a signal stops it, then ends the stream so
 * the last lines ("shut down cleanly") are written before the caller exits.
 */
export async function serveUntilStopped(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = createLogger({ name: "drox-backup-service", destination });
  await serve(env, logger);
  await endLog(destination);
}

/** For entry points: runs the service, exits 0 after a clean shutdown and 1 on a startup error. */
export function serveAndExit(env: NodeJS.ProcessEnv = process.env): void {
  serveUntilStopped(env).then(
    () => process.exit(0),
    (error: unknown) => {
      const message = redactText(error instanceof Error ? error.message : String(error));
      process.stderr.write(`drox-backup serve: ${message}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) serveAndExit();
