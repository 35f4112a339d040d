import assert from "node:assert/strict";
import { inspect } from "node:util";
import { Writable } from "node:stream";
import type { SNSEvent } from "aws-lambda";
import fc from "fast-check";
import { DroxError } from "../runtime/contract/errors";
import type { BackupResult, DroxEvent } from "../runtime/contract/events";
import { createHandlers, type Handlers } from "../runtime/handlers";
import { createLogger } from "../runtime/logging/logger";
import { FakeSlack } from "./fakes/slack-server";
import { startFakeNotion, type FakeNotionServer } from "./fakes/notion-server";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";

let messageSeq = 0;
function snsEvent(...messages: (DroxEvent | string)[]): SNSEvent {
  return {
    Records: messages.map((message) => {
      messageSeq += 1;
      return {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events:sub",
        Sns: {
          Type: "Notification",
          MessageId: `msg-${messageSeq}`,
          TopicArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events",
          Subject: "drox-backup",
          Message: typeof message === "string" ? message : JSON.stringify(message),
          Timestamp: "2024-11-04T00:00:00.000Z",
          SignatureVersion: "1",
          Signature: "fake",
          SigningCertUrl: "https://sns.example/cert.pem",
          UnsubscribeUrl: "https://sns.example/unsubscribe",
          MessageAttributes: {},
        },
      };
    }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<DroxError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DroxError, `expected a DroxError, got ${inspect(error)}`);
    return error;
  }
  assert.fail("expected the handler to throw");
}

describe("Lambda handlers", function () {
  this.timeout(120_000);

  // Distinctive values that must never show up in any output.
  const MAIN_HOOK = "SentinelMainHook0123456789";
  const ALERTS_HOOK = "SentinelAlertsHook012345678";
  const REPORTS_HOOK = "SentinelReportsHook01234567";

  let slack: FakeSlack;
  let notion: FakeNotionServer;
  let dataSourceId: string;
  let logLines: string[];
  let handlers: Handlers;
  let env: NodeJS.ProcessEnv;

  function build(overrides: NodeJS.ProcessEnv = {}): Handlers {
    const db = notion.addDatabase();
    dataSourceId = db.dataSourceId;
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    env = {
      SLACK_WEBHOOK_URL: slack.webhookUrl(MAIN_HOOK),
      SLACK_ALERTS_WEBHOOK_URL: slack.webhookUrl(ALERTS_HOOK),
      SLACK_REPORTS_WEBHOOK_URL: slack.webhookUrl(REPORTS_HOOK),
      SLACK_MAX_ATTEMPTS: "3",
      SLACK_RETRY_BUDGET_SECONDS: "3",
      NOTION_TOKEN: notion.token,
      NOTION_DATABASE_ID: db.databaseId,
      NOTION_API_BASE_URL: notion.url,
      DISPLAY_TIME_ZONE: "Asia/Seoul",
      ...overrides,
    };
    return createHandlers(env, {
      logger: createLogger({ destination, level: "debug" }),
      notion: {
        requestsPerSecond: 0,
        retry: { maxRetries: 1, initialRetryDelayMs: 10, maxRetryDelayMs: 20 },
      },
    });
  }

  /** Handlers as production builds them: the same factory, no Notion tuning (pacing, retry). */
  function production(): Handlers {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    return createHandlers(env, { logger: createLogger({ destination, level: "debug" }) });
  }

  /** A Lambda context with `ms` left, as `context.getRemainingTimeInMillis()` reports it. */
  function contextWith(ms: number): { getRemainingTimeInMillis(): number } {
    const until = Date.now() + ms;
    return { getRemainingTimeInMillis: () => until - Date.now() };
  }

  function assertNoSecretInOutput(extra: string[] = []): void {
    const everything = [...logLines, ...extra].join("\n");
    for (const secret of [MAIN_HOOK, ALERTS_HOOK, REPORTS_HOOK, notion.token]) {
      assert.ok(!everything.includes(secret), `a secret leaked into output: ${secret.slice(0, 12)}…`);
    }
  }

  beforeEach(async () => {
    slack = await FakeSlack.start();
    notion = await startFakeNotion();
    logLines = [];
    handlers = build();
  });

  afterEach(async () => {
    await slack.close();
    await notion.close();
  });

  it("must post the seed's success text to the main channel and log one Notion page", async () => {
    await handlers.slackNotifier(snsEvent(SEED_SUCCESS));
    await handlers.notionLogger(snsEvent(SEED_SUCCESS));
    assert.deepEqual(
      slack.messages(MAIN_HOOK).map((m) => (m.text ?? "").split("\n")),
      [
        [
          "✅ 백업 작업 성공",
          "",
          "타입: EBS",
          "리소스: vol-123456",
          "실행 시간: 45초",
          `Job ID: ${SEED_SUCCESS.jobId}`,
          "",
          "메트릭:",
          "스냅샷 ID: snap-789",
          "파일 수: 1000/1000",
        ],
      ],
    );
    assert.equal(slack.messages(ALERTS_HOOK).length, 0);
    assert.equal(notion.pages(dataSourceId).length, 1);
    assertNoSecretInOutput();
  });

  it("must route failures to alerts and reports to the reports channel as well as main", async () => {
    await handlers.slackNotifier(snsEvent(SEED_FAILURE, SEED_REPORT));
    assert.equal(slack.messages(MAIN_HOOK).length, 2);
    assert.deepEqual(
      slack.messages(ALERTS_HOOK).map((m) => (m.text ?? "").split("\n")[0]),
      ["❌ 백업 작업 실패"],
    );
    assert.deepEqual(
      slack.messages(REPORTS_HOOK).map((m) => (m.text ?? "").split("\n")[0]),
      ["📊 1주차 백업 리포트"],
    );
  });

  it("must create one Notion page and post once to Slack when SNS delivers an event twice", async () => {
    await handlers.notionLogger(snsEvent(SEED_FAILURE));
    await handlers.notionLogger(snsEvent(SEED_FAILURE));
    await handlers.slackNotifier(snsEvent(SEED_FAILURE));
    await handlers.slackNotifier(snsEvent(SEED_FAILURE));
    assert.equal(notion.pages(dataSourceId).length, 1);
    assert.equal(slack.messages(MAIN_HOOK).length, 1);
    assert.equal(slack.messages(ALERTS_HOOK).length, 1);
  });

  it("must deliver the valid records of a batch and then throw naming the invalid one's field", async () => {
    const bad = { ...SEED_SUCCESS, jobId: "other-job", type: "EFS" };
    const error = await rejection(
      handlers.slackNotifier(snsEvent(bad as unknown as DroxEvent, SEED_SUCCESS)),
    );
    assert.match(
      error.message,
      /^slack: 1 of 2 record\(s\) failed: msg-\d+: invalid backup\.result\.v1 event: type /,
    );
    assert.equal(error.retryable, false);
    assert.equal(slack.messages(MAIN_HOOK).length, 1);
  });

  it("must reject a record that is not JSON, or of an unknown schema, with the reason", async () => {
    const notJson = await rejection(handlers.notionLogger(snsEvent("{oops")));
    assert.match(notJson.message, /event is not valid JSON/);
    const unknown = await rejection(
      handlers.notionLogger(snsEvent(JSON.stringify({ ...SEED_SUCCESS, schema: "backup.result.v9" }))),
    );
    assert.match(
      unknown.message,
      /schema must be one of backup\.result\.v1, backup\.report\.v1, backup\.check\.v1/,
    );
    assert.equal(notion.pages(dataSourceId).length, 0);
  });

  it("must throw a retryable error when Slack keeps failing, so Lambda retries and the DLQ take over", async () => {
    slack.fail(MAIN_HOOK, 503, "service_unavailable", 10);
    const error = await rejection(handlers.slackNotifier(snsEvent(SEED_SUCCESS)));
    assert.equal(error.retryable, true);
    assertNoSecretInOutput([error.message, inspect(error, { depth: 10 }), error.stack ?? ""]);
  });

  it("must throw a non-retryable error that says what to check when the webhook is gone", async () => {
    slack.disable(MAIN_HOOK, 404, "no_service");
    const error = await rejection(handlers.slackNotifier(snsEvent(SEED_SUCCESS)));
    assert.equal(error.retryable, false);
    assert.match(error.message, /SLACK_WEBHOOK_URL/);
    assertNoSecretInOutput([error.message, inspect(error, { depth: 10 }), error.stack ?? ""]);
  });

  it("must fail with the missing setting named, then work once it is fixed, without a cold start", async () => {
    const broken = build({ NOTION_DATABASE_ID: "" });
    const error = await rejection(broken.notionLogger(snsEvent(SEED_SUCCESS)));
    assert.match(error.message, /NOTION_DATABASE_ID/);
    const db = notion.addDatabase();
    env.NOTION_DATABASE_ID = db.databaseId;
    await broken.notionLogger(snsEvent(SEED_SUCCESS));
    assert.equal(notion.pages(db.dataSourceId).length, 1);
  });

  it("must deliver or reject with a reason each of 1,000 random valid and invalid events, leaking nothing", async () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);
    const text = fc.oneof(
      fc.string({ minLength: 1, maxLength: 300 }),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 3000 }),
    );
    const instant = fc.date({
      min: new Date("2020-01-01T00:00:00Z"),
      max: new Date("2030-01-01T00:00:00Z"),
      noInvalidDate: true,
    });
    const result = fc
      .record({
        jobId: id,
        type: fc.constantFrom("EBS", "RDS", "S3", "LOCAL_HDD"),
        resource: text,
        status: fc.constantFrom("SUCCEEDED", "WARNING", "FAILED"),
        start: instant,
        duration: fc.integer({ min: 0, max: 100_000 }),
        sizeBytes: fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
        filesTotal: fc.option(fc.nat({ max: 10_000_000 }), { nil: undefined }),
        message: text,
      })
      .map(({ start, duration, message, sizeBytes, filesTotal, ...rest }): BackupResult => ({
        schema: "backup.result.v1",
        ...rest,
        startedAt: start.toISOString(),
        finishedAt: new Date(start.getTime() + duration * 1000).toISOString(),
        durationSeconds: duration,
        metrics: { sizeBytes, filesTotal, filesCopied: filesTotal },
        ...(rest.status === "FAILED" ? { error: { message } } : {}),
      }));
    const mutation = fc.constantFrom(
      "drop-type",
      "bad-status",
      "negative-duration",
      "bad-date",
      "unknown-schema",
      "not-json",
      "no-error",
    );
    const input = fc.oneof(
      result.map((event) => ({ valid: true as const, message: JSON.stringify(event) })),
      fc.tuple(result, mutation).map(([event, how]) => {
        const broken: Record<string, unknown> = { ...event };
        if (how === "drop-type") delete broken.type;
        if (how === "bad-status") broken.status = "DONE";
        if (how === "negative-duration") broken.durationSeconds = -1;
        if (how === "bad-date") broken.startedAt = "yesterday";
        if (how === "unknown-schema") broken.schema = "backup.result.v0";
        if (how === "no-error") {
          broken.status = "FAILED";
          delete broken.error;
        }
        return {
          valid: false as const,
          message: how === "not-json" ? JSON.stringify(event).slice(0, -1) : JSON.stringify(broken),
        };
      }),
    );
    const outputs: string[] = [];
    let delivered = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(input, async ({ valid, message }) => {
        for (const handler of [handlers.slackNotifier, handlers.notionLogger]) {
          try {
            await handler(snsEvent(message));
            assert.ok(valid, "an invalid event was accepted");
            delivered += 1;
          } catch (error) {
            assert.ok(error instanceof DroxError, `not a typed error: ${inspect(error)}`);
            assert.ok(!valid, `a valid event was rejected: ${error.message}`);
            assert.match(error.message, /record\(s\) failed: msg-\d+: .*(event|JSON)/);
            outputs.push(error.message);
            rejected += 1;
          }
        }
      }),
      { numRuns: 1000, seed: 20241104 },
    );
    assert.equal(delivered + rejected, 2000);
    assert.ok(
      delivered > 500 && rejected > 500,
      `skewed sample: ${delivered} delivered, ${rejected} rejected`,
    );
    assertNoSecretInOutput(outputs);
  });

  describe("Notion rate limits (production pacing and retry)", () => {
    // developers.notion.com/reference/request-limits: a per-connection window with Retry-After in
    // whole seconds; the Lambda has 30 s (components/notifications.ts), Notion may ask for 60.
    it("must hand a Retry-After longer than the time left back to Lambda at once, and deliver on redelivery", async () => {
      // Two requests a minute: the schema reads pass, the duplicate lookup gets 429, Retry-After ≈ 60 s.
      notion.setRateLimit({ requestsPerSecond: 2 / 60, windowSeconds: 60 });
      const started = Date.now();
      const error = await rejection(production().notionLogger(snsEvent(SEED_FAILURE), contextWith(25_000)));
      const elapsed = Date.now() - started;
      assert.equal(error.retryable, true);
      assert.match(error.message, /429 rate_limited with Retry-After (59|60) s/);
      assert.ok(elapsed < 5_000, `the handler spent ${elapsed} ms before handing the event back`);
      assert.equal(notion.stats.rateLimited, 1, "the client retried inside the Retry-After window");
      assert.equal(notion.pages(dataSourceId).length, 0);
      // Lambda's retry a minute later (a new instance here), once the window has passed.
      notion.setRateLimit(undefined);
      await production().notionLogger(snsEvent(SEED_FAILURE), contextWith(25_000));
      await production().notionLogger(snsEvent(SEED_FAILURE), contextWith(25_000));
      assert.equal(notion.pages(dataSourceId).length, 1);
      assertNoSecretInOutput([error.message]);
    });

    it("must wait out a Retry-After that fits in the time left, and not one that does not", async () => {
      notion.rateLimitNext(1, 2);
      await production().notionLogger(snsEvent(SEED_SUCCESS), contextWith(25_000));
      assert.equal(notion.pages(dataSourceId).length, 1);
      assert.equal(notion.stats.rateLimited, 1);
      // The same 2 s with 4 s left: 2 s of waiting and the 3 s the rest of the delivery needs do not fit.
      notion.rateLimitNext(1, 2);
      const error = await rejection(production().notionLogger(snsEvent(SEED_FAILURE), contextWith(4_000)));
      assert.equal(error.retryable, true);
      assert.match(error.message, /Retry-After 2 s, more than the 1 s this invocation has left/);
      assert.equal(notion.pages(dataSourceId).length, 1);
    });

    // Issue 16: the production pacing, as the handlers wire it, against a fake that enforces
    // Notion's average of 3 requests/s per integration (sliding one-second window, 429 + Retry-After).
    it("must deliver a burst at Notion's rate with the production pacing: 0 lost, 0 duplicates, no 429", async function () {
      this.timeout(60_000);
      notion.setRateLimit({ requestsPerSecond: 3 });
      const handlers = production();
      const events = Array.from({ length: 12 }, (_, i) => ({
        ...SEED_SUCCESS,
        jobId: `01JCBURST${String(i).padStart(17, "0")}`,
        resource: `vol-${i}`,
      }));
      // Twelve events at once, three of them delivered twice (SNS delivers at least once).
      const deliveries = [...events, ...events.slice(0, 3)].map((event) =>
        handlers.notionLogger(snsEvent(event), contextWith(30_000)),
      );
      const started = Date.now();
      await Promise.all(deliveries);
      const elapsed = Date.now() - started;
      const pages = notion.pages(dataSourceId);
      const firstLines = pages.map((p) => {
        const first = p.children[0] as { paragraph: { rich_text: { text: { content: string } }[] } };
        return first.paragraph.rich_text[0]!.text.content;
      });
      assert.deepEqual(
        [...firstLines].sort(),
        events.map((e) => `Job ID: ${e.jobId}`).sort(),
        "each event exactly once",
      );
      assert.ok(notion.stats.rateLimited <= 1, `the fake answered ${notion.stats.rateLimited} 429s`);
      // Two schema reads, then a lookup and a create per event, at no more than 3 a second.
      assert.equal(notion.stats.accepted, 2 + 2 * events.length);
      assert.ok(elapsed >= ((notion.stats.accepted - 3) * 1000) / 3, `${elapsed} ms: not paced`);
    });
  });
});
