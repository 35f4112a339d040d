/**
 * Notion throughput: 200 events against the fake Notion API enforcing 3 requests/s (sliding
 * one-second window, 429 + Retry-After: 1), through the real writer (schema read, idempotency
 * lookup, page create). Prints pages created, lost and duplicated, and the achieved request rate
 * as a fraction of the allowed rate — for the writer as configured (client-side pacing at 3/s
 * plus the SDK's retry) and for a baseline that relies on the SDK's 429 retry alone (same retry
 * budget). A baseline delivery that exhausts its retries counts as lost here; in AWS it would be
 * redelivered by Lambda and possibly end in the dead-letter queue.
 *
 *   npm run bench:notion                 # or: npx tsx bench/notion-throughput.ts [--events 200] [--concurrency 8] [--no-baseline]
 */
import { Writable } from "node:stream";
import pLimit from "p-limit";
import type { BackupResult } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { startFakeNotion } from "../test/fakes/notion-server";

const ALLOWED_RPS = 3;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function events(count: number): BackupResult[] {
  const types = ["EBS", "RDS", "S3"] as const;
  return Array.from({ length: count }, (_, i) => {
    const type = types[i % 3]!;
    const failed = i % 17 === 0;
    return {
      schema: "backup.result.v1",
      jobId: `bench-${String(i).padStart(5, "0")}`,
      type,
      resource: `${type.toLowerCase()}-resource-${i}`,
      status: failed ? "FAILED" : "SUCCEEDED",
      startedAt: "2024-11-04T02:00:00+09:00",
      finishedAt: "2024-11-04T02:00:45+09:00",
      durationSeconds: 45,
      metrics: { sizeBytes: (i + 1) * 1024 ** 3 },
      ...(failed ? { error: { message: "simulated failure ".repeat(200) } } : {}),
    };
  });
}

interface RunResult {
  label: string;
  seconds: number;
  created: number;
  lost: number;
  duplicates: number;
  requests: number;
  accepted: number;
  rateLimited: number;
}

async function run(label: string, count: number, concurrency: number, paced: boolean): Promise<RunResult> {
  const notion = await startFakeNotion();
  try {
    const db = notion.addDatabase();
    notion.setRateLimit({ requestsPerSecond: ALLOWED_RPS, retryAfterSeconds: 1 });
    const silent = new Writable({ write: (_c, _e, done) => done() });
    const writer = await createNotionLoggerFromEnv(
      { NOTION_TOKEN: notion.token, NOTION_DATABASE_ID: db.databaseId, NOTION_API_BASE_URL: notion.url },
      {
        requestsPerSecond: paced ? ALLOWED_RPS : 0,
        // Both use the writer's default SDK retry budget (3 retries), as the Lambda does.
        logger: createLogger({ destination: silent }),
      },
    );
    const input = events(count);
    const limit = pLimit(concurrency);
    const failures: string[] = [];
    const started = performance.now();
    await Promise.all(
      input.map((event) =>
        limit(() =>
          writer.log(event).catch((error: unknown) => {
            failures.push(`${event.jobId}: ${error instanceof Error ? error.message : String(error)}`);
          }),
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const pages = notion.pages(db.dataSourceId);
    const ids = pages.map((p) => {
      const first = p.children[0] as
        { paragraph?: { rich_text: { text: { content: string } }[] } } | undefined;
      return first?.paragraph?.rich_text[0]?.text.content.replace(/^Job ID: /, "") ?? "";
    });
    const unique = new Set(ids);
    const lost = input.filter((e) => !unique.has(e.jobId)).length;
    if (failures.length > 0)
      console.error(`${label}: ${failures.length} deliveries failed, e.g. ${failures[0]}`);
    return {
      label,
      seconds,
      created: pages.length,
      lost,
      duplicates: pages.length - unique.size,
      requests: notion.stats.total,
      accepted: notion.stats.accepted,
      rateLimited: notion.stats.rateLimited,
    };
  } finally {
    await notion.close();
  }
}

function report(r: RunResult, count: number): void {
  const requestRate = r.accepted / r.seconds;
  console.log(`\n${r.label}`);
  console.log(`  events ${count} → pages created ${r.created}, lost ${r.lost}, duplicates ${r.duplicates}`);
  console.log(
    `  time ${r.seconds.toFixed(1)} s; floor for ${r.accepted} requests at ${ALLOWED_RPS}/s: ${(r.accepted / ALLOWED_RPS).toFixed(1)} s`,
  );
  console.log(
    `  requests ${r.requests} (accepted ${r.accepted}, 429 ${r.rateLimited}); ${(r.accepted / count).toFixed(2)} accepted requests per event`,
  );
  console.log(
    `  achieved request rate ${requestRate.toFixed(2)}/s = ${(requestRate / ALLOWED_RPS).toFixed(3)} of the allowed ${ALLOWED_RPS}/s`,
  );
  console.log(`  pages/s ${(r.created / r.seconds).toFixed(2)}`);
}

async function main(): Promise<void> {
  const count = arg("events", 200);
  const concurrency = arg("concurrency", 8);
  console.log(
    `Notion throughput: ${count} events, concurrency ${concurrency}, fake limit ${ALLOWED_RPS} requests/s (Retry-After: 1)`,
  );
  const paced = await run("writer (pacing at 3/s + SDK retry)", count, concurrency, true);
  report(paced, count);
  if (!process.argv.includes("--no-baseline")) {
    const baseline = await run("baseline (SDK 429 retry only, no pacing)", count, concurrency, false);
    report(baseline, count);
    const ratio = paced.accepted / paced.seconds / (baseline.accepted / baseline.seconds);
    console.log(
      `\nwriter vs baseline: ${ratio.toFixed(2)}× the request rate; the baseline sent ` +
        `${(baseline.requests / paced.requests).toFixed(1)}× the requests (${baseline.requests} vs ${paced.requests}); ` +
        `lost ${paced.lost} vs ${baseline.lost}`,
    );
  }
  const ok =
    paced.lost === 0 && paced.duplicates === 0 && paced.accepted / paced.seconds / ALLOWED_RPS >= 0.9;
  console.log(`\ngoal (lost 0, duplicates 0, rate ≥ 0.9 of allowed): ${ok ? "met" : "NOT met"}`);
  process.exitCode = ok ? 0 : 1;
}

void main();
