/**
 * The real dependencies of the HTTP service, from the environment (the same contract as the Lambda
 * handlers and the jobs). Only the API token is needed to start; Slack, Notion and the AWS pieces
 * are built on first use, so a missing setting fails the route that needs it with a message naming
 * the variable (503 NOT_CONFIGURED) instead of keeping the whole service — and /health — down.
 */
import { readInt } from "../settings/env";
import { readNumberSetting } from "../settings/read";
import type { HistoryStore } from "../history/store";
import { createJobDeps, runBackups, sendWeeklyReport, type JobDeps } from "../jobs";
import { startOfDay } from "../jobs/report";
import { sendMonthlyReport } from "../reports";
import type { Logger } from "../logging/logger";
import { createNotionLoggerFromEnv, type NotionLogger } from "../notion";
import type { EventPublisher } from "../publishing/publisher";
import { required } from "../settings/jobs";
import { readSecret, SECRETS } from "../settings/secrets";
import { createSlackNotifierFromEnv, type SlackNotifier } from "../slack";
import { DEFAULT_RATE_LIMIT } from "./app";
import type { ServiceDeps } from "./deps";
import { once } from "../settings/once";
import { createDrillDeps, drillRefusal, runDrill, type DrillDeps } from "../drills";

export interface ServiceSettings {
  readonly port: number;
  readonly host: string;
  readonly rateLimitMax: number;
  readonly trustProxyHops: number;
  /** How long shutdown waits for background backup runs. */
  readonly shutdownGraceMs: number;
}

export function readServiceSettings(env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  return {
    port: readInt(env, "PORT", { default: 8080, min: 0, max: 65_535 }),
    host: env.HOST?.trim() || "0.0.0.0",
    // 0 means "the default", as an unset variable does.
    rateLimitMax: readNumberSetting(env, "rateLimitMax") || DEFAULT_RATE_LIMIT.max,
    trustProxyHops: readInt(env, "TRUST_PROXY_HOPS", { default: 0, min: 0, max: 10, example: 1 }),
    shutdownGraceMs: readNumberSetting(env, "shutdownGraceSeconds") * 1000,
  };
}

/** ServiceDeps wired to Slack, Notion, DynamoDB, SNS and the backup jobs as configured in `env`. */
export async function createServiceDepsFromEnv(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  settings: ServiceSettings = readServiceSettings(env),
): Promise<ServiceDeps> {
  const apiToken = await readSecret(SECRETS.apiToken, env);
  const slack = once<SlackNotifier>(() =>
    createSlackNotifierFromEnv(env, { logger: logger.child({ component: "slack" }) }),
  );
  const notion = once<NotionLogger>(() =>
    createNotionLoggerFromEnv(env, { logger: logger.child({ component: "notion" }) }),
  );
  const jobs = once<JobDeps>(async () => createJobDeps({ logger: logger.child({ component: "jobs" }) }, env));
  const drills = once<DrillDeps>(async () => createDrillDeps(await jobs(), env));
  const history: HistoryStore = {
    put: async (record) => (await jobs()).history.put(record),
    get: async (jobId) => (await jobs()).history.get(jobId),
    list: async (query) => (await jobs()).history.list(query),
  };
  const publisher: EventPublisher = {
    publish: async (event) => (await jobs()).publisher.publish(event),
  };
  return {
    apiToken,
    logger,
    slack: { sendTest: async () => (await slack()).sendTest() },
    notion: { writeTestPage: async () => (await notion()).writeTestPage() },
    backups: {
      check: async (type) => {
        // Building the job deps requires HISTORY_TABLE and EVENTS_TOPIC_ARN (ConfigError otherwise).
        const deps = await jobs();
        const s3Runs = type === "S3" || (type === "ALL" && deps.settings.s3SourceBuckets.length > 0);
        if (s3Runs) required(deps.settings, "backupBucket", "BACKUP_BUCKET");
      },
      run: async (type, options) =>
        runBackups(
          type,
          { resources: options.resources, signal: options.signal, runId: options.runId },
          await jobs(),
        ),
    },
    drills: {
      run: async (type, options) => runDrill(type, options, await drills()),
      refusal: async (type) => (await drillRefusal(type, await drills()))?.message,
    },
    history,
    publisher,
    reports: {
      send: async ({ reportDate }) => {
        const deps = await jobs();
        const at = reportDate ? startOfDay(reportDate, deps.settings.displayTimeZone) : undefined;
        return sendWeeklyReport({ at }, deps);
      },
      sendMonthly: async ({ month }) => sendMonthlyReport(await jobs(), month),
    },
    rateLimit: { max: settings.rateLimitMax, timeWindowMs: DEFAULT_RATE_LIMIT.timeWindowMs },
    trustProxyHops: settings.trustProxyHops,
  };
}
