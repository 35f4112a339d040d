/**
 * Slack burst: 60 backup results notified at once against the fake Slack enforcing one message a
 * second per webhook (Slack's documented rate), with the alerts webhook configured, so failures go
 * to two webhooks. Prints delivered / lost / duplicates, the requests it took, and the total time
 * against the floor the rate allows; then the same burst against an unlimited fake as the baseline.
 * Last, the longest alerts (a check with 400 long findings, a report with 300 failed jobs): the
 * requests each took and the block text Slack received, against its ~12,000-character total.
 * Then bot token mode (issue 11): the same 60 results through chat.postMessage against the fake's
 * Web API enforcing one message a second per channel (chat.postMessage's documented rate,
 * https://docs.slack.dev/reference/methods/chat.postMessage "Rate limits"), each result delivered
 * to Slack and to the fake Notion at once (as SNS fans out to the two Lambdas, each with its own
 * clients; Notion unpaced, each result being its own invocation): messages lost or doubled, the ratio to the floor, and
 * the time from a result to both links in place (message → page and page → message), p50/p99.
 *
 *   npm run bench:slack        (≈ 3 minutes; BENCH_BOT_ONLY=1 runs the bot mode part alone)
 */
import type { BackupResult, IntegrityCheck, WeeklyReport } from "../runtime/contract/events";
import { createSlackNotifier } from "../runtime/slack/notifier";
import { DEFAULT_RETRY } from "../runtime/slack/settings";
import { DEFAULT_THRESHOLDS } from "../runtime/slack/messages";
import { FAKE_BOT_TOKEN, FakeSlack } from "../test/fakes/slack-server";
import { startFakeNotion } from "../test/fakes/notion-server";
import { createLinker } from "../runtime/links/linker";
import { MemoryLinkStore } from "../runtime/links/store";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { BotNotifier } from "../runtime/slack/bot";
import type { BotSettings } from "../runtime/slack/settings";
import { SEED_CHECK_PROBLEM, SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "../test/fixtures/events";

const EVENTS = 60;
const FAILURES = 10;
const RATE_PER_SECOND = 1;

function events(): BackupResult[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const base = i % (EVENTS / FAILURES) === 0 ? SEED_FAILURE : SEED_SUCCESS;
    return { ...base, jobId: `bench-${String(i).padStart(3, "0")}`, resource: `${base.resource}-${i}` };
  });
}

interface Run {
  seconds: number;
  delivered: Record<string, number>;
  expected: Record<string, number>;
  duplicates: number;
  requests: number;
  rateLimited: number;
  rejected: number;
}

async function run(perSecond: number | undefined): Promise<Run> {
  const slack = await FakeSlack.start();
  slack.enforceRate(perSecond);
  const notifier = createSlackNotifier({
    webhooks: { main: slack.webhookUrl("main"), alerts: slack.webhookUrl("alerts") },
    timeZone: "Asia/Seoul",
    thresholds: DEFAULT_THRESHOLDS,
    retry: DEFAULT_RETRY,
  });
  const batch = events();
  const started = performance.now();
  const results = await Promise.allSettled(batch.map((event) => notifier.notify(event)));
  const seconds = (performance.now() - started) / 1000;
  const delivered: Record<string, number> = {};
  let duplicates = 0;
  for (const hook of ["main", "alerts"]) {
    const ids = slack.messages(hook).map((m) => /Job ID: (\S+)/.exec(m.text ?? "")?.[1]);
    delivered[hook] = new Set(ids).size;
    duplicates += ids.length - new Set(ids).size;
  }
  const requests = slack.requests();
  await slack.close();
  return {
    seconds,
    delivered,
    expected: { main: EVENTS, alerts: FAILURES },
    duplicates,
    requests: requests.length,
    rateLimited: requests.filter((r) => r.status === 429).length,
    rejected: results.filter((r) => r.status === "rejected").length,
  };
}

function print(label: string, r: Run): void {
  const lost = Object.keys(r.expected).reduce((n, k) => n + (r.expected[k]! - (r.delivered[k] ?? 0)), 0);
  console.log(`${label}`);
  console.log(
    `  delivered main ${r.delivered.main}/${r.expected.main}, alerts ${r.delivered.alerts}/${r.expected.alerts}; ` +
      `lost ${lost}; duplicates ${r.duplicates}; notify() rejected ${r.rejected}`,
  );
  console.log(`  requests ${r.requests} (429: ${r.rateLimited}); total ${r.seconds.toFixed(2)} s`);
}

function longAlerts(): [string, IntegrityCheck | WeeklyReport][] {
  const check: IntegrityCheck = {
    ...SEED_CHECK_PROBLEM,
    findings: Array.from({ length: 400 }, (_, i) => ({
      severity: "CRITICAL" as const,
      resource: `snap-0123456789abcdef${i}`,
      message: `스냅샷이 암호화되어 있지 않고 DR 리전에 복사본이 없습니다. ${"확인 필요. ".repeat(60)}`,
    })),
  };
  const report: WeeklyReport = {
    ...SEED_REPORT,
    total: 300,
    succeeded: 0,
    warnings: 0,
    failed: 300,
    successRate: 0,
    failedJobs: Array.from({ length: 300 }, (_, i) => ({
      type: "S3" as const,
      resource: `drox-backup-source-bucket-${"x".repeat(100)}-${i}`,
      jobId: `job-${i}`,
    })),
  };
  return [
    ["check, 400 long findings", check],
    ["report, 300 failed jobs", report],
  ];
}

function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (typeof value !== "object" || value === null) return 0;
  return Object.entries(value).reduce(
    (n, [key, v]) => n + (key === "text" && typeof v === "string" ? v.length : textLength(v)),
    0,
  );
}

async function long(): Promise<void> {
  console.log("\nlongest alerts (one webhook, fake enforcing the 12,000-character block total):");
  for (const [label, event] of longAlerts()) {
    const slack = await FakeSlack.start();
    const notifier = createSlackNotifier({
      webhooks: { main: slack.webhookUrl("main") },
      timeZone: "Asia/Seoul",
      thresholds: DEFAULT_THRESHOLDS,
      retry: DEFAULT_RETRY,
    });
    await notifier.notify(event);
    const [message] = slack.messages("main");
    const rest = /… 외 (\d+)건/.exec(JSON.stringify(message?.blocks ?? []))?.[1] ?? "-";
    const statuses = slack.requests().map((r) => `${r.status}${r.body === "ok" ? "" : ` ${r.body}`}`);
    console.log(
      `  ${label}: requests ${statuses.join(", ")}; blocks ${message?.blocks?.length ?? 0} ` +
        `holding ${textLength(message?.blocks)} characters of text; … 외 ${rest}건`,
    );
    await slack.close();
  }
}

async function main(): Promise<void> {
  console.log(`Slack burst: ${EVENTS} events (${FAILURES} failures → alerts too), all notified at once\n`);
  const baseline = await run(undefined);
  print("baseline: fake without a rate limit", baseline);
  const limited = await run(RATE_PER_SECOND);
  print(`rate-limited: fake enforcing ${RATE_PER_SECOND} message/s per webhook (429 + Retry-After)`, limited);
  // The first message to a webhook goes at t = 0, so N messages need (N - 1) / rate seconds at least.
  const floor = (EVENTS - 1) / RATE_PER_SECOND;
  console.log(
    `\nfloor ${floor.toFixed(1)} s (${EVENTS} messages to main at ${RATE_PER_SECOND}/s); ` +
      `achieved ${limited.seconds.toFixed(2)} s; floor/achieved = ${(floor / limited.seconds).toFixed(3)}; ` +
      `vs baseline ×${(limited.seconds / baseline.seconds).toFixed(0)}`,
  );
  await long();
  await botMode();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function botMode(): Promise<void> {
  const slack = await FakeSlack.start();
  const notion = await startFakeNotion();
  const db = notion.addDatabase();
  const main = slack.api.addChannel("devops-backup");
  const alerts = slack.api.addChannel("devops-alerts");
  slack.api.enforceChannelRate(RATE_PER_SECOND);
  const settings: BotSettings = {
    token: FAKE_BOT_TOKEN,
    apiUrl: slack.apiUrl,
    channels: { main: "devops-backup", alerts: "devops-alerts" },
    timeZone: "Asia/Seoul",
    thresholds: DEFAULT_THRESHOLDS,
    retry: DEFAULT_RETRY,
  };
  const notionEnv = {
    NOTION_TOKEN: notion.token,
    NOTION_DATABASE_ID: db.databaseId,
    NOTION_API_BASE_URL: notion.url,
  };
  const store = new MemoryLinkStore();
  // Two Lambdas: each its own Slack client (queue) and its own Notion client (pacer).
  const lambda = async () => {
    const bot = new BotNotifier(settings);
    // Pacing off: in AWS each result is its own invocation; one writer pacing 60 at 3/s would
    // measure the bench's shared pacer (and its request timeouts), not the links.
    const writer = await createNotionLoggerFromEnv(notionEnv, { requestsPerSecond: 0 });
    return createLinker({ store, slack: () => Promise.resolve(bot), notion: () => Promise.resolve(writer) });
  };
  const [slackLambda, notionLambda] = await Promise.all([lambda(), lambda()]);
  const batch = events();
  const started = performance.now();
  const linkedAfter: number[] = [];
  const outcomes = await Promise.allSettled(
    batch.map(async (event) => {
      await Promise.all([slackLambda.deliverSlack(event), notionLambda.deliverNotion(event)]);
      const record = await store.get(event.jobId);
      const both =
        record?.notion?.slackLinked === true &&
        Object.values(record.slack).every((m) => m.notionLinked) &&
        record.slack.main !== undefined;
      if (both) linkedAfter.push((performance.now() - started) / 1000);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ids = (channel: string) =>
    slack.api.posts(channel).map((m) => /Job ID: (\S+)/.exec(m.text ?? "")?.[1] ?? "?");
  const mainIds = ids(main);
  const alertIds = ids(alerts);
  const pages = notion.pages(db.dataSourceId).length;
  const calls = slack.api.calls("chat.postMessage");
  const floor = (EVENTS - 1) / RATE_PER_SECOND;
  linkedAfter.sort((a, b) => a - b);
  console.log(
    `\nbot mode: ${EVENTS} results through chat.postMessage, fake enforcing ${RATE_PER_SECOND} message/s per channel`,
  );
  console.log(
    `  delivered main ${new Set(mainIds).size}/${EVENTS}, alerts ${new Set(alertIds).size}/${FAILURES}; ` +
      `lost ${EVENTS - new Set(mainIds).size + FAILURES - new Set(alertIds).size}; ` +
      `duplicates ${mainIds.length - new Set(mainIds).size + alertIds.length - new Set(alertIds).size}; ` +
      `pages ${pages}/${EVENTS}; rejected ${outcomes.filter((o) => o.status === "rejected").length}`,
  );
  const firstError = outcomes.find((o) => o.status === "rejected");
  if (firstError) console.log(`  first rejection: ${String(firstError.reason)}`);
  console.log(
    `  chat.postMessage requests ${calls.length} (429: ${calls.filter((c) => c.status === 429).length}); ` +
      `chat.update ${slack.api.calls("chat.update").length}; Notion requests ${notion.requests.length}`,
  );
  console.log(
    `  total ${seconds.toFixed(2)} s; floor ${floor.toFixed(1)} s (${EVENTS} messages to one channel at ${RATE_PER_SECOND}/s); ` +
      `floor/achieved = ${(floor / seconds).toFixed(3)}`,
  );
  if (linkedAfter.length > 0) {
    console.log(
      `  result → both links in place: ${linkedAfter.length}/${EVENTS} linked; ` +
        `p50 ${percentile(linkedAfter, 50).toFixed(2)} s, p99 ${percentile(linkedAfter, 99).toFixed(2)} s, ` +
        `max ${linkedAfter.at(-1)!.toFixed(2)} s`,
    );
  }
  await slack.close();
  await notion.close();
}

void (process.env.BENCH_BOT_ONLY ? botMode() : main());
