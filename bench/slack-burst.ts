/**
 * Slack burst: 60 backup results notified at once against the fake Slack enforcing one message a
 * second per webhook (Slack's documented rate), with the alerts webhook configured, so failures go
 * to two webhooks. Prints delivered / lost / duplicates, the requests it took, and the total time
 * against the floor the rate allows; then the same burst against an unlimited fake as the baseline.
 *
 *   npm run bench:slack        (≈ 1 minute)
 */
import type { BackupResult } from "../runtime/contract/events";
import { createSlackNotifier } from "../runtime/slack/notifier";
import { DEFAULT_RETRY } from "../runtime/slack/settings";
import { DEFAULT_THRESHOLDS } from "../runtime/slack/messages";
import { FakeSlack } from "../test/fakes/slack-server";
import { SEED_FAILURE, SEED_SUCCESS } from "../test/fixtures/events";

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
}

void main();
