import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pino from "pino";
import type { BackupResult, IntegrityCheck, WeeklyReport } from "../runtime/contract/events";
import { ConfigError } from "../runtime/contract/errors";
import { clearSecretCache } from "../runtime/settings/secrets";
import { buildTestPayload, createSlackNotifierFromEnv, SlackDeliveryError } from "../runtime/slack";
import { createSlackNotifier } from "../runtime/slack/notifier";
import {
  DEFAULT_RETRY,
  DEFAULT_THRESHOLDS,
  readBotSettings,
  readSlackSettings,
  type SlackSettings,
} from "../runtime/slack/settings";
import { isSlackWebhookUrl, validateWebhookUrl, webhookUrlProblem } from "../runtime/slack/webhook-url";
import { FAKE_BOT_TOKEN, FakeSlack } from "./fakes/slack-server";
import { SEED_CHECK_PROBLEM, SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";
import { useMoto } from "./support/moto";

const SECRET_TOKEN = "SentinelEnvSecret7788";

/** Every `text` string in the blocks Slack received, as Slack adds them up. */
function blockTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(blockTexts);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === "text" && typeof v === "string" ? [v] : blockTexts(v),
  );
}

/** Webhook URLs of the right shape for a notifier whose requests a fake `fetch` answers. */
const HOOK = {
  main: "https://hooks.slack.com/services/T0NOTIFY/B0MAIN/mainSentinel",
  alerts: "https://hooks.slack.com/services/T0NOTIFY/B0ALERTS/alertsSentinel",
};

/** A `fetch` answering each webhook URL the way `answer` says, counting the requests. */
function fakeFetch(answer: (url: string) => Response | Promise<Response>) {
  const calls: string[] = [];
  const fetch = async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input);
    calls.push(url);
    return answer(url);
  };
  return { fetch, calls };
}

const slackAnswer = (status: number, body: string) => new Response(body, { status });

function notifierSettings(extra: Partial<SlackSettings> = {}): SlackSettings {
  return {
    webhooks: { main: HOOK.main, alerts: HOOK.alerts },
    timeZone: "UTC",
    thresholds: DEFAULT_THRESHOLDS,
    retry: { ...DEFAULT_RETRY, maxAttempts: 2, budgetMs: 5_000, baseDelayMs: 200, maxDelayMs: 200 },
    ...extra,
  };
}

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  return {
    logger: pino({ level: "info" }, destination),
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("Slack notifier from the environment", function () {
  this.timeout(60_000);
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());
  beforeEach(() => {
    slack.reset();
    clearSecretCache();
  });

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
    SLACK_RETRY_BUDGET_SECONDS: "3",
    ...extra,
  });

  it("must post an event to main and, by routing, to the alerts and reports webhooks", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({
        SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("alerts"),
        SLACK_REPORTS_WEBHOOK_URL: slack.webhookUrl("reports"),
      }),
    );
    await notifier.notify(SEED_SUCCESS);
    await notifier.notify(SEED_FAILURE);
    await notifier.notify(SEED_REPORT);
    await notifier.notify(SEED_CHECK_PROBLEM);
    assert.deepEqual(
      slack.messages("main").map((m) => m.text?.split("\n")[0]),
      ["✅ 백업 작업 성공", "❌ 백업 작업 실패", "📊 1주차 백업 리포트", "🚨 보안 점검 이상 발견"],
    );
    assert.deepEqual(
      slack.messages("alerts").map((m) => m.text?.split("\n")[0]),
      ["❌ 백업 작업 실패", "🚨 보안 점검 이상 발견"],
    );
    assert.deepEqual(
      slack.messages("reports").map((m) => m.text?.split("\n")[0]),
      ["📊 1주차 백업 리포트"],
    );
  });

  it("must post to main only when the optional webhooks are absent, and once when a URL repeats", async () => {
    await (await createSlackNotifierFromEnv(env())).notify(SEED_FAILURE);
    assert.equal(slack.requests().length, 1);
    slack.reset();
    await (
      await createSlackNotifierFromEnv(env({ SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("main") }))
    ).notify(SEED_FAILURE);
    assert.equal(slack.messages("main").length, 1);
  });

  it("must use DISPLAY_TIME_ZONE and the success-rate thresholds", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({ DISPLAY_TIME_ZONE: "UTC", SUCCESS_RATE_OK: "0.99", SUCCESS_RATE_WARN: "0.96" }),
    );
    await notifier.notify(SEED_FAILURE);
    await notifier.notify(SEED_REPORT);
    const [failure, report] = slack.messages("main").map((m) => m.text!.split("\n"));
    assert.equal(failure![5], "시각: 2024-11-03 17:00:00");
    assert.ok(report!.includes("성공률: ❌ 95.2%"));
  });

  it("must send the test message to the main webhook", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({ SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("alerts") }),
    );
    await notifier.sendTest();
    assert.equal(slack.messages("main")[0]?.text?.split("\n")[0], "🔔 DROX DevOps Backup 테스트 메시지");
    assert.equal(slack.messages("alerts").length, 0);
  });

  it("must throw when one webhook fails, and on retry post only where the event is still missing", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({ SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("alerts") }),
    );
    slack.fail("alerts", 503, "service_unavailable", 10);
    await assert.rejects(notifier.notify(SEED_FAILURE), (error: unknown) => {
      assert.ok(error instanceof SlackDeliveryError);
      assert.equal(error.retryable, true);
      assert.equal(error.webhook, "alerts");
      return true;
    });
    slack.reset();
    await notifier.notify(SEED_FAILURE);
    assert.equal(slack.messages("main").length, 0, "main already had it");
    assert.equal(slack.messages("alerts").length, 1);
  });

  it("must hand a Retry-After longer than the budget back to the caller as retryable, not drop it", async () => {
    const notifier = await createSlackNotifierFromEnv(env());
    slack.rateLimit("main", 30);
    const started = Date.now();
    await assert.rejects(notifier.notify(SEED_SUCCESS), (error: unknown) => {
      assert.ok(error instanceof SlackDeliveryError);
      assert.deepEqual([error.retryable, error.statusCode, error.webhook], [true, 429, "main"]);
      assert.match(error.message, /waiting 30\.0 s \(Retry-After\) would exceed the 3\.0 s delivery budget/);
      return true;
    });
    assert.ok(Date.now() - started < 1_000, "no budget spent waiting for what cannot come");
    assert.equal(slack.messages("main").length, 0);
  });

  it("must throw a non-retryable error when every webhook refuses, naming each", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({ SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("alerts") }),
    );
    slack.disable("main", 410, "channel_is_archived").disable("alerts", 404, "channel_not_found");
    await assert.rejects(notifier.notify(SEED_FAILURE), (error: unknown) => {
      assert.ok(error instanceof SlackDeliveryError);
      assert.equal(error.retryable, false);
      assert.match(
        error.message,
        /main webhook .*channel_is_archived.*\|.*alerts webhook .*channel_not_found/,
      );
      return true;
    });
  });

  // Issue 14: Slack refuses blocks holding more than about 12,000 characters of text
  // (https://github.com/slackapi/bolt-js/issues/2509); such an alert used to be lost on a final 400.
  it("must deliver a check with 400 long findings and a report with 300 failed jobs in one request each", async () => {
    const notifier = await createSlackNotifierFromEnv(
      env({
        SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl("alerts"),
        SLACK_REPORTS_WEBHOOK_URL: slack.webhookUrl("reports"),
      }),
    );
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
        resource: `drox-backup-source-bucket-with-a-long-name-${"x".repeat(80)}-${i}`,
        jobId: `job-${i}`,
      })),
    };
    await notifier.notify(check);
    await notifier.notify(report);
    assert.deepEqual(
      slack.requests().map((r) => [r.hook, r.status]),
      [
        ["main", 200],
        ["alerts", 200],
        ["main", 200],
        ["reports", 200],
      ],
    );
    const expected = new Map([
      ["🚨", { bullet: "• [심각]", count: check.findings.length }],
      ["📊", { bullet: "• S3:", count: report.failedJobs.length }],
    ]);
    for (const message of slack.messages()) {
      const { bullet, count } = expected.get(Array.from(message.text ?? "")[0] ?? "")!;
      const texts = blockTexts(message.blocks);
      assert.ok(texts.reduce((n, t) => n + t.length, 0) <= 12_000, "within Slack's total");
      const shown = texts
        .join("\n")
        .split("\n")
        .filter((l) => l.startsWith(bullet)).length;
      assert.ok(shown > 0, "some items shown");
      assert.ok(texts.includes(`… 외 ${count - shown}건`), `… 외 ${count - shown}건 in ${message.hook}`);
    }
  });

  describe("delivery outcomes", () => {
    it("must rethrow one webhook's failure as it is, its scrubbed cause included", async () => {
      const { fetch } = fakeFetch(() => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
      });
      const notifier = createSlackNotifier(notifierSettings({ webhooks: { main: HOOK.main } }), {
        sender: { fetch },
      });
      await assert.rejects(notifier.notify(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof SlackDeliveryError);
        assert.deepEqual([error.webhook, error.retryable, error.attempts], ["main", true, 2]);
        assert.ok(error.cause instanceof Error, "the sender's cause is kept");
        assert.match(error.cause.message, /ECONNREFUSED/);
        return true;
      });
    });

    it("must sum up failures of several webhooks: retryable if any is, the most attempts and the longest time", async () => {
      // main: 404 no_service at once; alerts: 503 on both attempts, 100–200 ms of backoff between.
      const { fetch, calls } = fakeFetch((url) =>
        url === HOOK.main ? slackAnswer(404, "no_service") : slackAnswer(503, "service_unavailable"),
      );
      const notifier = createSlackNotifier(notifierSettings(), { sender: { fetch } });
      await assert.rejects(notifier.notify(SEED_FAILURE), (error: unknown) => {
        assert.ok(error instanceof SlackDeliveryError);
        assert.deepEqual(
          [error.webhook, error.retryable, error.statusCode, error.slackError, error.attempts],
          ["main", true, 404, "no_service", 2],
        );
        assert.ok(error.elapsedMs >= 100, `the alerts webhook's time, not main's: ${error.elapsedMs} ms`);
        assert.match(
          error.message,
          /^Slack refused the message to the main webhook .* \| Slack did not accept the message to the alerts webhook after 2 attempt/,
        );
        return true;
      });
      assert.equal(calls.length, 3);
    });

    it("must rethrow a failure that is not Slack's as it is, rather than sum it up with Slack's", async () => {
      // main answers 503, and the backoff's random source breaks: a bug, not a refusal from Slack.
      const bug = new Error("random source broken");
      const { fetch } = fakeFetch((url) =>
        url === HOOK.main ? slackAnswer(503, "service_unavailable") : slackAnswer(404, "channel_not_found"),
      );
      const random = () => {
        throw bug;
      };
      const notifier = createSlackNotifier(notifierSettings(), { sender: { fetch, random } });
      await assert.rejects(notifier.notify(SEED_FAILURE), (error: unknown) => error === bug);
    });

    it("must rethrow a failure that is not Slack's even when another webhook's refusal came first", async () => {
      // main: 404 no_service, final at once (no backoff); alerts: 503, whose backoff's random source
      // breaks. The bug must surface, not disappear behind main's refusal.
      const bug = new Error("random source broken");
      const { fetch, calls } = fakeFetch((url) =>
        url === HOOK.main ? slackAnswer(404, "no_service") : slackAnswer(503, "service_unavailable"),
      );
      const random = () => {
        throw bug;
      };
      const notifier = createSlackNotifier(notifierSettings(), { sender: { fetch, random } });
      await assert.rejects(notifier.notify(SEED_FAILURE), (error: unknown) => error === bug);
      assert.deepEqual(calls, [HOOK.main, HOOK.alerts]);
    });

    it("must log each event's webhooks, how many it skipped as already delivered, and how many failed", async () => {
      let down = true;
      const { fetch } = fakeFetch((url) =>
        url === HOOK.alerts && down ? slackAnswer(404, "channel_not_found") : slackAnswer(200, "ok"),
      );
      const { logger, lines } = capture();
      const notifier = createSlackNotifier(notifierSettings(), { sender: { fetch }, logger });
      await assert.rejects(notifier.notify(SEED_FAILURE));
      down = false;
      await notifier.notify(SEED_FAILURE);
      await notifier.notify(SEED_FAILURE);
      const logged = lines().map(({ eventId, schema, webhooks, skipped, failed, msg, level }) => ({
        eventId,
        schema,
        webhooks,
        skipped,
        failed,
        msg,
        level,
      }));
      const line = {
        eventId: SEED_FAILURE.jobId,
        schema: "backup.result.v1",
        webhooks: ["main", "alerts"],
        level: 30,
      };
      assert.deepEqual(logged, [
        { ...line, skipped: 0, failed: 1, msg: "Slack notification failed" },
        { ...line, skipped: 1, failed: 0, msg: "Slack notification delivered" },
        { ...line, skipped: 2, failed: 0, msg: "Slack notification delivered" },
      ]);
    });

    it("must remember the last 2,000 deliveries of a warm container, forgetting the oldest first", async function () {
      this.timeout(60_000);
      const { fetch, calls } = fakeFetch(() => slackAnswer(200, "ok"));
      const notifier = createSlackNotifier(notifierSettings({ webhooks: { main: HOOK.main } }), {
        sender: { fetch },
      });
      const event = (i: number): BackupResult => ({ ...SEED_SUCCESS, jobId: `remembered-${i}` });
      for (let i = 0; i <= 2_000; i++) await notifier.notify(event(i));
      assert.equal(calls.length, 2_001);
      await notifier.notify(event(1));
      assert.equal(calls.length, 2_001, "the second oldest is still remembered");
      await notifier.notify(event(0));
      assert.equal(calls.length, 2_002, "the oldest was forgotten: posted again");
    });

    it("must send the test message to main in the display time zone, at the injected time", async () => {
      const { fetch } = fakeFetch(() => slackAnswer(200, "ok"));
      const bodies: unknown[] = [];
      const now = new Date("2024-11-04T00:30:00Z");
      const notifier = createSlackNotifier(notifierSettings({ timeZone: "America/New_York" }), {
        now: () => now,
        sender: {
          fetch: async (input, init) => {
            bodies.push(JSON.parse(String(init?.body)));
            return fetch(input);
          },
        },
      });
      await notifier.sendTest();
      assert.deepEqual(bodies, [buildTestPayload({ timeZone: "America/New_York", now })]);
      assert.match(JSON.stringify(bodies[0]), /2024-11-03 .*\(America\/New_York\)/);
    });

    it("must name the main webhook when Slack refuses the test message", async () => {
      const { fetch } = fakeFetch(() => slackAnswer(404, "no_service"));
      const notifier = createSlackNotifier(notifierSettings(), { sender: { fetch } });
      await assert.rejects(notifier.sendTest(), (error: unknown) => {
        assert.ok(error instanceof SlackDeliveryError);
        assert.equal(error.webhook, "main");
        assert.match(error.message, /SLACK_WEBHOOK_URL \/ SLACK_WEBHOOK_SECRET_ARN/);
        return true;
      });
    });
  });

  describe("settings errors", () => {
    it("must name both variables when the main webhook is missing", async () => {
      const error = await configError(createSlackNotifierFromEnv({}));
      assert.match(error.message, /SLACK_WEBHOOK_URL or SLACK_WEBHOOK_SECRET_ARN must be set/);
    });

    it("must reject a URL that is not a Slack webhook, naming the variable but never the value", async () => {
      for (const [name, value] of [
        ["SLACK_WEBHOOK_URL", `https://example.com/services/T1/B1/${SECRET_TOKEN}`],
        ["SLACK_ALERTS_WEBHOOK_URL", `http://hooks.slack.com/services/T1/B1/${SECRET_TOKEN}`],
        ["SLACK_REPORTS_WEBHOOK_URL", `not a url ${SECRET_TOKEN}`],
      ] as const) {
        const error = await configError(createSlackNotifierFromEnv(env({ [name]: value })));
        assert.match(error.message, new RegExp(`^${name} `));
        assert.ok(!error.message.includes(SECRET_TOKEN), error.message);
      }
    });

    it("must reject a bad DISPLAY_TIME_ZONE", async () => {
      const error = await configError(createSlackNotifierFromEnv(env({ DISPLAY_TIME_ZONE: "Mars/Olympus" })));
      assert.match(error.message, /DISPLAY_TIME_ZONE must be an IANA time zone/);
    });

    it("must reject thresholds out of range, unreadable or out of order", async () => {
      const cases: [NodeJS.ProcessEnv, string][] = [
        [{ SUCCESS_RATE_OK: "1.5" }, 'SUCCESS_RATE_OK must be a number from 0 to 1, e.g. 0.95 (got "1.5")'],
        [
          { SUCCESS_RATE_WARN: "eighty" },
          'SUCCESS_RATE_WARN must be a number from 0 to 1, e.g. 0.8 (got "eighty")',
        ],
        [
          { SUCCESS_RATE_OK: "0.7", SUCCESS_RATE_WARN: "0.8" },
          "SUCCESS_RATE_WARN (0.8) must not be greater than SUCCESS_RATE_OK (0.7)",
        ],
        [
          { SLACK_MAX_ATTEMPTS: "0" },
          'SLACK_MAX_ATTEMPTS must be a whole number from 1 to 10, e.g. 4 (got "0")',
        ],
        [
          { SLACK_MAX_ATTEMPTS: "11" },
          'SLACK_MAX_ATTEMPTS must be a whole number from 1 to 10, e.g. 4 (got "11")',
        ],
        [
          { SLACK_MAX_ATTEMPTS: "2.5" },
          'SLACK_MAX_ATTEMPTS must be a whole number from 1 to 10, e.g. 4 (got "2.5")',
        ],
        [
          { SLACK_TIMEOUT_SECONDS: "-1" },
          'SLACK_TIMEOUT_SECONDS must be a number from 0.05 to 60, e.g. 5 (got "-1")',
        ],
        [
          { SLACK_RETRY_BUDGET_SECONDS: "901" },
          'SLACK_RETRY_BUDGET_SECONDS must be a number from 0.1 to 900, e.g. 20 (got "901")',
        ],
      ];
      for (const [extra, message] of cases) {
        const error = await configError(createSlackNotifierFromEnv(env(extra)));
        assert.equal(error.message, message);
      }
    });

    it("must read fractional Slack budgets and whole attempts within their ranges", async () => {
      const settings = await readSlackSettings({
        SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
        SLACK_MAX_ATTEMPTS: "10",
        SLACK_RETRY_BUDGET_SECONDS: "0.1",
        SLACK_TIMEOUT_SECONDS: "0.05",
      });
      assert.equal(settings.retry.maxAttempts, 10);
      assert.equal(settings.retry.budgetMs, 100);
      assert.equal(settings.retry.timeoutMs, 50);
    });

    it("must read the defaults: Asia/Seoul, 0.95/0.80, 4 attempts in 20 s", async () => {
      const settings = await readSlackSettings({ SLACK_WEBHOOK_URL: slack.webhookUrl("main") });
      assert.equal(settings.timeZone, "Asia/Seoul");
      assert.deepEqual(settings.thresholds, { ok: 0.95, warn: 0.8 });
      assert.equal(settings.retry.maxAttempts, 4);
      assert.equal(settings.retry.budgetMs, 20_000);
      assert.equal(settings.webhooks.alerts, undefined);
    });
  });

  describe("bot settings", () => {
    const BOT_ENV = { SLACK_BOT_TOKEN: FAKE_BOT_TOKEN, SLACK_BACKUP_CHANNEL: "devops-backup" };

    it("must leave bot mode off without a bot token", async () => {
      assert.equal(await readBotSettings(env({ SLACK_BACKUP_CHANNEL: "devops-backup" })), undefined);
    });

    it("must read the token, the channels without their #, the API URL and the shared settings", async () => {
      const settings = await readBotSettings({
        SLACK_BOT_TOKEN: ` ${FAKE_BOT_TOKEN} `,
        SLACK_BACKUP_CHANNEL: "#devops-backup",
        SLACK_ALERTS_CHANNEL: "C0123ABCD",
        SLACK_API_URL: " http://127.0.0.1:9/api/ ",
        DISPLAY_TIME_ZONE: "UTC",
        SUCCESS_RATE_OK: "0.99",
        SUCCESS_RATE_WARN: "0.9",
        SLACK_TIMEOUT_SECONDS: "2",
      });
      assert.deepEqual(settings, {
        token: FAKE_BOT_TOKEN,
        channels: { main: "devops-backup", alerts: "C0123ABCD", reports: undefined },
        apiUrl: "http://127.0.0.1:9/api/",
        timeZone: "UTC",
        thresholds: { ok: 0.99, warn: 0.9 },
        retry: { ...DEFAULT_RETRY, timeoutMs: 2_000 },
      });
    });

    it("must use Slack's own API URL when SLACK_API_URL is unset or blank", async () => {
      assert.equal((await readBotSettings(BOT_ENV))?.apiUrl, undefined);
      assert.equal((await readBotSettings({ ...BOT_ENV, SLACK_API_URL: "  " }))?.apiUrl, undefined);
    });

    it("must refuse a token that is not a bot token, naming the variable and never the value", async () => {
      const error = await configError(
        readBotSettings({ ...BOT_ENV, SLACK_BOT_TOKEN: `xoxp-1-2-${SECRET_TOKEN}` }),
      );
      assert.match(
        error.message,
        /^SLACK_BOT_TOKEN must be a Slack bot token \(xoxb-…, "Bot User OAuth Token"/,
      );
      assert.ok(!error.message.includes(SECRET_TOKEN), error.message);
    });

    it("must require the main channel with a bot token", async () => {
      const error = await configError(readBotSettings({ SLACK_BOT_TOKEN: FAKE_BOT_TOKEN }));
      assert.equal(
        error.message,
        "SLACK_BACKUP_CHANNEL must be set with a Slack bot token (e.g. devops-backup)",
      );
    });
  });

  describe("validateWebhookUrl", () => {
    it("must accept Slack's incoming webhook URLs only", () => {
      assert.ok(
        isSlackWebhookUrl("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXX"),
      );
      for (const bad of [
        "http://hooks.slack.com/services/T0/B0/abc",
        "https://hooks.slack.com.evil.example/services/T0/B0/abc",
        "https://hooks.slack.com/workflows/T0/A0/123/abc",
        "https://hooks.slack.com/services/T0/B0/abc?x=1",
        "https://user:pw@hooks.slack.com/services/T0/B0/abc",
        "hooks.slack.com/services/T0/B0/abc",
        "http://127.0.0.1:9999/services/T0/B0/abc",
      ]) {
        assert.ok(!isSlackWebhookUrl(bad), bad);
      }
      assert.ok(isSlackWebhookUrl("http://127.0.0.1:9999/services/T0/B0/abc", { allowLoopback: true }));
    });

    it("must throw a ConfigError that names the setting and not the value", () => {
      assert.throws(
        () => validateWebhookUrl(`https://example.com/${SECRET_TOKEN}`, { name: "slackWebhookUrl" }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /^slackWebhookUrl must be on hooks\.slack\.com/.test(error.message) &&
          !error.message.includes(SECRET_TOKEN),
      );
    });

    // Slack's format: https://hooks.slack.com/services/T<team>/B<integration>/<token>, ids in upper case.
    it("must accept the path Slack issues, with a trailing slash, and a paste with spaces around", () => {
      for (const good of [
        "https://hooks.slack.com/services/T0ABC123/B0DEF456/aBcD1234eFgH5678",
        "https://hooks.slack.com/services/T0ABC123/B0DEF456/aBcD1234eFgH5678/",
        "https://hooks.slack.com:443/services/T0ABC123/B0DEF456/aBcD1234eFgH5678",
        " https://hooks.slack.com/services/T0ABC123/B0DEF456/aBcD1234eFgH5678\n",
        "\u00a0https://hooks.slack.com/services/T0ABC123/B0DEF456/aBcD1234eFgH5678\u00a0",
      ]) {
        assert.equal(webhookUrlProblem(good), undefined, JSON.stringify(good));
      }
    });

    it("must say what is wrong, one problem at a time, without the value", () => {
      const cases: [string, string][] = [
        [`not a url ${SECRET_TOKEN}`, "is not a URL"],
        [`ftp://hooks.slack.com/services/T0/B0/${SECRET_TOKEN}`, "must use https"],
        [`https://hooks.slack.com.example.org/services/T0/B0/${SECRET_TOKEN}`, "must be on hooks.slack.com"],
        [`https://hooks.slack.com:8443/services/T0/B0/${SECRET_TOKEN}`, "must be on hooks.slack.com"],
        [`https://bot@hooks.slack.com/services/T0/B0/${SECRET_TOKEN}`, "must not contain credentials"],
        [`https://:pw@hooks.slack.com/services/T0/B0/${SECRET_TOKEN}`, "must not contain credentials"],
        [
          `https://hooks.slack.com/services/T0/B0/${SECRET_TOKEN}#x`,
          "must not have a query string or fragment",
        ],
        [
          `https://hooks.slack.com/services/T0/B0/${SECRET_TOKEN}?a=1`,
          "must not have a query string or fragment",
        ],
        [`https://hooks.slack.com/services/t0/B0/${SECRET_TOKEN}`, "must have the path /services/T…/B…/…"],
        [`https://hooks.slack.com/services/T0/b0/${SECRET_TOKEN}`, "must have the path /services/T…/B…/…"],
        [`https://hooks.slack.com/services/T0/B0`, "must have the path /services/T…/B…/…"],
        [`https://hooks.slack.com/services/T/B0/${SECRET_TOKEN}`, "must have the path /services/T…/B…/…"],
        [`https://hooks.slack.com/services/T0/B/${SECRET_TOKEN}`, "must have the path /services/T…/B…/…"],
        [
          `https://hooks.slack.com/services/T0/B0/${SECRET_TOKEN}/extra`,
          "must have the path /services/T…/B…/…",
        ],
        [`https://hooks.slack.com/services/T0/B0/tok-en`, "must have the path /services/T…/B…/…"],
        [`https://hooks.slack.com/x/services/T0/B0/${SECRET_TOKEN}`, "must have the path /services/T…/B…/…"],
      ];
      for (const [url, problem] of cases) assert.equal(webhookUrlProblem(url), problem, url);
    });

    it("must accept the local fake on every loopback name over http only, and only when allowed", () => {
      for (const host of ["127.0.0.1:9999", "localhost:9999", "[::1]:9999"]) {
        const url = `http://${host}/any/path`;
        assert.equal(webhookUrlProblem(url, { allowLoopback: true }), undefined, url);
        assert.equal(webhookUrlProblem(url), "must use https", url);
      }
      assert.equal(
        webhookUrlProblem("https://127.0.0.1:9999/services/T0/B0/abc", { allowLoopback: true }),
        "must be on hooks.slack.com",
      );
      assert.equal(
        webhookUrlProblem("ftp://localhost/services/T0/B0/abc", { allowLoopback: true }),
        "must use https",
      );
      assert.equal(
        webhookUrlProblem("http://192.168.0.1:9999/services/T0/B0/abc", { allowLoopback: true }),
        "must use https",
      );
    });

    it("must name the setting generically when no name is given, and say where the URL comes from", () => {
      assert.throws(
        () => validateWebhookUrl("http://hooks.slack.com/services/T0/B0/abc"),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message ===
            "the Slack webhook URL must use https: it must be a Slack Incoming Webhook URL (https, host " +
              "hooks.slack.com, path /services/T…/B…/…), copied from the Slack app's Incoming Webhooks page",
      );
      assert.doesNotThrow(() => validateWebhookUrl("https://hooks.slack.com/services/T0/B0/abc"));
    });
  });

  describe("webhooks from Secrets Manager", () => {
    it("must read the webhook by ARN and post with it", async function () {
      this.timeout(300_000);
      await useMoto();
      const sm = new SecretsManagerClient({});
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `slack-main-${Date.now()}`,
          SecretString: slack.webhookUrl("from-secret"),
        }),
      );
      const notifier = await createSlackNotifierFromEnv({ SLACK_WEBHOOK_SECRET_ARN: created.ARN });
      await notifier.notify(SEED_SUCCESS);
      assert.equal(slack.messages("from-secret").length, 1);
    });

    it("must name the ARN variable, not the value, when the secret holds no webhook URL", async function () {
      this.timeout(300_000);
      await useMoto();
      const sm = new SecretsManagerClient({});
      const created = await sm.send(
        new CreateSecretCommand({ Name: `slack-bad-${Date.now()}`, SecretString: `token-${SECRET_TOKEN}` }),
      );
      const error = await configError(createSlackNotifierFromEnv({ SLACK_WEBHOOK_SECRET_ARN: created.ARN }));
      assert.match(error.message, /^the secret in SLACK_WEBHOOK_SECRET_ARN is not a URL/);
      assert.ok(!error.message.includes(SECRET_TOKEN));
    });

    it("must name the ARN variable when a blank value variable left the secret to it", async function () {
      this.timeout(300_000);
      await useMoto();
      const sm = new SecretsManagerClient({});
      const secret = async (name: string, value: string) =>
        (await sm.send(new CreateSecretCommand({ Name: `${name}-${Date.now()}`, SecretString: value }))).ARN;
      const webhook = await configError(
        readSlackSettings({
          SLACK_WEBHOOK_URL: "  ",
          SLACK_WEBHOOK_SECRET_ARN: await secret("slack-blank", `https://example.com/${SECRET_TOKEN}`),
        }),
      );
      assert.match(webhook.message, /^the secret in SLACK_WEBHOOK_SECRET_ARN must be on hooks\.slack\.com/);
      const bot = await configError(
        readBotSettings({
          SLACK_BOT_TOKEN: " ",
          SLACK_BOT_TOKEN_SECRET_ARN: await secret("slack-bot-blank", `xoxp-1-2-${SECRET_TOKEN}`),
          SLACK_BACKUP_CHANNEL: "devops-backup",
        }),
      );
      assert.match(bot.message, /^the secret in SLACK_BOT_TOKEN_SECRET_ARN must be a Slack bot token/);
      const arnOnly = await configError(
        readBotSettings({
          SLACK_BOT_TOKEN_SECRET_ARN: await secret("slack-bot-arn", `xoxp-1-2-${SECRET_TOKEN}`),
          SLACK_BACKUP_CHANNEL: "devops-backup",
        }),
      );
      assert.match(arnOnly.message, /^the secret in SLACK_BOT_TOKEN_SECRET_ARN must be a Slack bot token/);
      for (const error of [webhook, bot, arnOnly]) {
        assert.ok(!error.message.includes(SECRET_TOKEN), error.message);
      }
    });
  });
});
