/**
 * One sandbox round through the real runtime code: backups of every configured target (EBS by id
 * and by tag, RDS with one instance that does not exist, S3), the integrity check and the weekly
 * report, each event published to SNS and delivered to Slack and Notion by the production Lambda
 * handlers. The caller owns the process (moto, signals, exit).
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { eventId, parseEventJson, type DroxEvent } from "../../runtime/contract/events";
import { writeFile } from "node:fs/promises";
import { runBackups, runIntegrityCheck, sendWeeklyReport } from "../../runtime/jobs";
import { createJobDeps } from "../../runtime/jobs/context";
import { buildWeekly, renderReportChart } from "../../runtime/reports";
import { createLogger } from "../../runtime/logging/logger";
import { redactText } from "../../runtime/logging/redact";
import { useMoto, MOTO_REGION } from "../../test/support/moto";
import { drainEnvelopes, toSnsEvent } from "./delivery";
import { CHANNELS, setUpDestinations, type Destinations } from "./destinations";
import { createDemoResources, DEMO } from "./resources";
import type { DeliveryRecord, DemoSummary } from "./summary";

export interface DemoOptions {
  /** Where the narrative goes (one line per call). */
  readonly out: (line: string) => void;
  /** Job logs at info on stderr instead of warnings only. */
  readonly verbose?: boolean;
  /** Registered so the caller's Ctrl-C handler can close the local servers. */
  readonly onCleanup?: (cleanup: () => Promise<void>) => void;
  /** Where the weekly report's chart (PNG) is written. */
  readonly chartFile: string;
}

/** Environment the sandbox must not inherit: it would point the jobs elsewhere. */
const JOB_VARIABLES = [
  "EBS_VOLUME_IDS",
  "RDS_INSTANCE_IDS",
  "S3_SOURCE_BUCKETS",
  "BACKUP_TAG",
  "BACKUP_BUCKET",
  "HISTORY_TABLE",
  "EVENTS_TOPIC_ARN",
  "DR_REGION",
  "DR_KMS_KEY_ID",
  "DR_RETENTION_DAYS",
  "AWS_PROFILE",
  "AWS_SESSION_TOKEN",
];

function describe(event: DroxEvent): string {
  switch (event.schema) {
    case "backup.result.v1":
      return `${event.schema} ${event.type} ${event.resource} ${event.status}`;
    case "backup.check.v1":
      return `${event.schema} ${event.status} (${event.findings.length} finding(s))`;
    case "backup.report.v1":
      return `${event.schema} ${event.weekLabel} (${event.total} runs)`;
    case "backup.drill.v1":
      return `${event.schema} ${event.status} (${event.resources.length} resource(s))`;
    case "backup.restore.v1":
      return `${event.schema} ${event.type} ${event.target} ${event.status}`;
    case "backup.monthly-report.v1":
      return `${event.schema} ${event.month} (${event.total} runs)`;
  }
}

function indent(text: string, prefix = "    "): string[] {
  return text.split("\n").map((line) => (line === "" ? "" : `${prefix}${line}`));
}

function errorText(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const { out } = options;
  const env = process.env;
  // Assigning undefined to process.env would store the string "undefined".
  for (const name of JOB_VARIABLES) Reflect.deleteProperty(env, name);
  // A service-specific endpoint (AWS_ENDPOINT_URL_S3, …) would win over moto's.
  for (const name of Object.keys(env)) {
    if (name.startsWith("AWS_ENDPOINT_URL_")) Reflect.deleteProperty(env, name);
  }

  out("Starting the AWS emulator (moto) — the first run installs it into .venv…");
  const moto = await useMoto();
  out(`  moto at ${moto.endpoint} (region ${MOTO_REGION})`);
  const aws = await createDemoResources(MOTO_REGION);
  Object.assign(env, aws.env);
  out(
    `  created: EBS ${aws.volumes.tagged} (${DEMO.taggedVolumeName}, tag ${DEMO.tag.key}=${DEMO.tag.value}) and ` +
      `${aws.volumes.listed} (${DEMO.listedVolumeName}, by id); RDS ${DEMO.dbInstance} (and ${DEMO.missingDbInstance}, ` +
      `which does not exist: its backup fails on purpose); buckets ${DEMO.sourceBuckets.join(", ")} ` +
      `(${aws.objects} objects) → ${DEMO.backupBucket}; table ${DEMO.historyTable}; topic ${DEMO.topic}`,
  );

  const destinations: Destinations = await setUpDestinations(env);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= destinations.close());
  options.onCleanup?.(close);
  try {
    return await round(options, aws, destinations, started);
  } finally {
    await close();
  }
}

async function round(
  options: DemoOptions,
  aws: Awaited<ReturnType<typeof createDemoResources>>,
  destinations: Destinations,
  started: number,
): Promise<DemoSummary> {
  const { out } = options;
  const env = process.env;
  out(
    destinations.slackMode === "real"
      ? "Slack: the real webhook(s) in SLACK_WEBHOOK_URL (and SLACK_ALERTS_/SLACK_REPORTS_WEBHOOK_URL if set)"
      : `Slack: local capture (SLACK_WEBHOOK_URL not set), three webhooks as the guide lays them out: ` +
          `#${CHANNELS.main} (everything), #${CHANNELS.alerts} (failures, integrity problems), #${CHANNELS.reports} (reports)`,
  );
  out(
    destinations.notionMode === "real"
      ? "Notion: the real database in NOTION_DATABASE_ID"
      : 'Notion: local capture (NOTION_TOKEN / NOTION_DATABASE_ID not set), a "백업 로그" database with the guide\'s schema',
  );

  // The handlers build their clients and logger from the environment on first use: import them now.
  env.LOG_LEVEL = options.verbose ? "info" : (env.LOG_LEVEL ?? "warn");
  const { slackNotifier, notionLogger } = await import("../../runtime/handlers.js");
  const logger = createLogger({
    name: "drox-demo",
    level: options.verbose ? "info" : "warn",
    destination: process.stderr,
  });
  const deps = { logger };
  const sqs = new SQSClient({});
  const deliveries: DeliveryRecord[] = [];
  let published = 0;

  const deliverPending = async (): Promise<void> => {
    const envelopes = await drainEnvelopes(sqs, aws.queueUrl);
    published += envelopes.length;
    for (const envelope of envelopes) {
      const event = parseEventJson(envelope.Message);
      const label = describe(event);
      out("");
      out(`→ ${label}  [${eventId(event)}]`);
      const snsEvent = toSnsEvent(envelope, `${aws.topicArn}:sandbox`);
      let slackError: string | undefined;
      try {
        await slackNotifier(snsEvent);
      } catch (error) {
        slackError = errorText(error);
      }
      const slack = destinations.takeSlack();
      for (const m of slack) {
        out(`  Slack ${m.channel}:`);
        for (const line of indent(m.text)) out(line);
      }
      if (destinations.slackMode === "real" && !slackError) out("  Slack: delivered");
      if (slackError) out(`  ✗ Slack: ${slackError}`);
      let notionError: string | undefined;
      try {
        await notionLogger(snsEvent);
      } catch (error) {
        notionError = errorText(error);
      }
      const pages = destinations.takeNotion();
      for (const page of pages) {
        out("  Notion page (백업 로그):");
        for (const [name, value] of Object.entries(page.properties)) {
          const [first = "", ...rest] = value.split("\n");
          out(`    ${name.padEnd(15)} ${first}`);
          for (const line of rest) out(`    ${"".padEnd(15)} ${line}`);
        }
      }
      if (destinations.notionMode === "real" && !notionError) out("  Notion: page written");
      if (notionError) out(`  ✗ Notion: ${notionError}`);
      deliveries.push({
        event: label,
        slack: { ok: !slackError, error: slackError, captured: slack },
        notion: { ok: !notionError, error: notionError, captured: pages },
      });
    }
  };

  out("");
  out("Running the backups (EBS, RDS, S3) through the runtime's jobs…");
  const fast = { minDelaySeconds: 1, maxDelaySeconds: 1 };
  const results = await runBackups("ALL", { ebs: fast, rds: fast }, deps);
  await deliverPending();

  out("");
  out("Running the integrity check (보안 점검)…");
  const check = await runIntegrityCheck(deps);
  await deliverPending();

  out("");
  out("Sending the weekly report (covering today)…");
  // The report covers the seven days before its date: date it tomorrow so today's runs count.
  const reportAt = new Date(Date.now() + 86_400_000);
  const report = await sendWeeklyReport({ at: reportAt }, deps);
  await deliverPending();
  // The picture Notion's report page shows (and Slack's reports channel in bot mode), on disk.
  await writeFile(
    options.chartFile,
    await renderReportChart(await buildWeekly(createJobDeps(deps), reportAt)),
  );
  out(`  chart of the last 8 weeks written to ${options.chartFile}`);
  sqs.destroy();

  return {
    results: results.map((r) => ({
      type: r.type,
      resource: r.resource,
      status: r.status,
      jobId: r.jobId,
      error: r.error,
    })),
    check: { status: check.status, checkId: check.checkId, findings: check.findings },
    report: {
      weekLabel: report.weekLabel,
      total: report.total,
      succeeded: report.succeeded,
      warnings: report.warnings,
      failed: report.failed,
      successRate: report.successRate,
    },
    chartFile: options.chartFile,
    eventsPublished: published,
    deliveries,
    slackMode: destinations.slackMode,
    notionMode: destinations.notionMode,
    slackByChannel: destinations.slackCounts(),
    durationMs: Date.now() - started,
  };
}
