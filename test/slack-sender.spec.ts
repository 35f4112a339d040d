import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import pino from "pino";
import { buildPayload, type SlackPayload } from "../runtime/slack/blocks";
import { adviceFor, SlackDeliveryError } from "../runtime/slack/errors";
import type { Target, WebhookName } from "../runtime/slack/routing";
import { parseRetryAfter, SlackSender, type SenderOptions } from "../runtime/slack/sender";
import { FakeSlack } from "./fakes/slack-server";
import { SEED_SUCCESS } from "./fixtures/events";

const SENTINEL = "SentinelHookToken0042";
const payload = buildPayload(SEED_SUCCESS);
const FAST: SenderOptions = { baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 1_000, budgetMs: 10_000 };

async function rejection(promise: Promise<unknown>): Promise<SlackDeliveryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SlackDeliveryError, `not a SlackDeliveryError: ${inspect(error)}`);
    return error;
  }
  assert.fail("expected the delivery to fail");
}

/** Every way an error can leave the process as text. */
function everyRendering(error: Error): string {
  return [
    inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error),
    JSON.stringify({ ...error, cause: error.cause }),
    String(error),
    error.stack ?? "",
    inspect(error.cause, { depth: 10, showHidden: true }),
    (error.cause as Error | undefined)?.stack ?? "",
  ].join("\n");
}

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  // A plain pino logger, without the project's redaction: proves the sender never hands it the URL.
  return { logger: pino({ level: "debug" }, destination), lines };
}

describe("Slack sender", function () {
  this.timeout(30_000);
  let slack: FakeSlack;
  let target: Target;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());
  beforeEach(() => {
    slack.reset();
    target = { name: "main", url: slack.webhookUrl(SENTINEL) };
  });

  it("must deliver the payload as JSON Slack accepts", async () => {
    await new SlackSender(FAST).send(target, payload);
    const [message] = slack.messages(SENTINEL);
    assert.equal(message?.text, payload.text);
    assert.deepEqual(message?.blocks, payload.blocks);
  });

  it("must wait as long as Retry-After says on 429, then deliver", async () => {
    slack.rateLimit(SENTINEL, 1);
    const started = Date.now();
    await new SlackSender(FAST).send(target, payload);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_000, `retried after ${elapsed} ms, before Retry-After`);
    assert.deepEqual(
      slack.requests(SENTINEL).map((r) => r.status),
      [429, 200],
    );
    assert.equal(slack.messages(SENTINEL).length, 1);
  });

  // Issue 16: a Retry-After longer than the one-second pace must be honoured in full.
  describe("a Retry-After longer than the one-second pace", () => {
    const gap = () => {
      const [first, second] = slack.requests(SENTINEL).map((r) => r.at);
      return second! - first!;
    };

    it("must wait the full 3 s before the next attempt, then deliver", async () => {
      slack.rateLimit(SENTINEL, 3);
      await new SlackSender(FAST).send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [429, 200],
      );
      assert.ok(gap() >= 3_000, `retried ${gap()} ms after the 429`);
    });

    it("must hold the next message until the Retry-After has passed, even when the first gave up", async () => {
      slack.rateLimit(SENTINEL, 3);
      const sender = new SlackSender({ ...FAST, maxAttempts: 1 });
      const first = await rejection(sender.send(target, payload));
      assert.equal(first.retryable, true);
      await sender.send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [429, 200],
      );
      assert.ok(gap() >= 3_000, `next message sent ${gap()} ms after the 429`);
    });

    it("must give up, retryable, when the Retry-After exceeds what is left of the budget", async () => {
      // 0.7 s spent on a slow 503 leaves 1.8 s of 2.5: a Retry-After of 2 s no longer fits.
      slack.stall(SENTINEL, 700).fail(SENTINEL, 503, "service_unavailable", 1).rateLimit(SENTINEL, 2);
      const { logger, lines } = capture();
      const started = Date.now();
      const error = await rejection(
        new SlackSender({ ...FAST, budgetMs: 2_500, logger }).send(target, payload),
      );
      assert.ok(Date.now() - started < 1_500, `${Date.now() - started} ms`);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [503, 429],
      );
      assert.deepEqual([error.retryable, error.statusCode, error.slackError], [true, 429, "rate_limited"]);
      assert.match(error.message, /waiting 2\.0 s \(Retry-After\) would exceed the 2\.5 s delivery budget/);
      assert.equal(lines.length, 1, "the 503 retry is logged; the give-up is thrown, not swallowed");
    });

    it("must hand the next message back at once, retryable, when the hold exceeds its budget", async () => {
      slack.rateLimit(SENTINEL, 30);
      const sender = new SlackSender({ ...FAST, budgetMs: 5_000 });
      await rejection(sender.send(target, payload));
      const started = Date.now();
      const error = await rejection(sender.send(target, payload));
      assert.ok(Date.now() - started < 500, `${Date.now() - started} ms`);
      assert.equal(slack.requests(SENTINEL).length, 1, "no request inside Slack's Retry-After");
      assert.deepEqual([error.retryable, error.statusCode, error.attempts], [true, 429, 0]);
      assert.match(error.message, /must stay quiet (29|30)\.\d s more .* exceed the 5\.0 s delivery budget/);
    });
  });

  it("must keep Slack's pace after a 429 so the next messages are not refused again", async () => {
    slack.enforceRate(1);
    const sender = new SlackSender(FAST);
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => sender.send(target, payload)));
    const elapsed = Date.now() - started;
    assert.equal(slack.messages(SENTINEL).length, 3);
    assert.ok(elapsed >= 2_000, `${elapsed} ms for 3 messages at 1/s`);
    assert.equal(slack.requests(SENTINEL).filter((r) => r.status === 429).length, 1);
  });

  it("must back off and retry 5xx answers, then deliver", async () => {
    slack.fail(SENTINEL, 503, "service_unavailable", 2);
    const { logger, lines } = capture();
    await new SlackSender({ ...FAST, logger }).send(target, payload);
    assert.deepEqual(
      slack.requests(SENTINEL).map((r) => r.status),
      [503, 503, 200],
    );
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /retrying/);
    assert.ok(!lines.join("").includes(SENTINEL));
  });

  it("must grow the backoff exponentially with jitter, within the cap", async () => {
    slack.fail(SENTINEL, 500, "rollup_error", 3);
    const sender = new SlackSender({ ...FAST, baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0 });
    await sender.send(target, payload);
    const at = slack.requests(SENTINEL).map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Equal jitter with random() = 0: half of 100, 200, 400 ms.
    assert.ok(gaps[0]! >= 50 && gaps[1]! >= 100 && gaps[2]! >= 200, gaps.join(","));
    assert.ok(gaps[2]! < 1_000, gaps.join(","));
  });

  it("must retry a request that timed out, then deliver", async () => {
    slack.stall(SENTINEL, 600);
    await new SlackSender({ ...FAST, timeoutMs: 150 }).send(target, payload);
    assert.deepEqual(
      slack.requests(SENTINEL).map((r) => r.status),
      [0, 200],
    );
    assert.equal(slack.messages(SENTINEL).length, 1);
  });

  it("must give up with a retryable error once the attempts are spent", async () => {
    slack.fail(SENTINEL, 500, "rollup_error", 10);
    const error = await rejection(new SlackSender({ ...FAST, maxAttempts: 3 }).send(target, payload));
    assert.equal(error.retryable, true);
    assert.equal(error.attempts, 3);
    assert.equal(error.statusCode, 500);
    assert.match(error.message, /after 3 attempt\(s\).*HTTP 500 rollup_error/);
    assert.equal(slack.requests(SENTINEL).length, 3);
  });

  it("must give up at once, retryable, when Retry-After exceeds the time budget", async () => {
    slack.rateLimit(SENTINEL, 30);
    const started = Date.now();
    const error = await rejection(new SlackSender({ ...FAST, budgetMs: 5_000 }).send(target, payload));
    assert.ok(Date.now() - started < 1_000);
    assert.equal(error.retryable, true);
    assert.equal(error.statusCode, 429);
    assert.match(error.message, /waiting 30\.0 s \(Retry-After\) would exceed the 5\.0 s delivery budget/);
  });

  it("must stop retrying timeouts when the time budget is spent", async () => {
    slack.stall(SENTINEL, 2_000, 10);
    const started = Date.now();
    const error = await rejection(
      new SlackSender({ ...FAST, maxAttempts: 10, timeoutMs: 200, budgetMs: 900 }).send(target, payload),
    );
    assert.ok(Date.now() - started < 1_500, `${Date.now() - started} ms`);
    assert.equal(error.retryable, true);
    assert.match(error.message, /no answer within 0\.2 s/);
    assert.match(error.cause instanceof Error ? error.cause.name : "", /TimeoutError/);
  });

  it("must treat a refused connection as retryable", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/services/T0FAKE/B0FAKE/${SENTINEL}`;
    const error = await rejection(
      new SlackSender({ ...FAST, maxAttempts: 2 }).send({ name: "main", url }, payload),
    );
    assert.equal(error.retryable, true);
    assert.match(error.message, /network error/);
    assert.ok(!everyRendering(error).includes(SENTINEL));
  });

  // Errors about the webhook (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks):
  // final at the first answer, no plain-text fallback — the same request would meet the same refusal.
  const refusals: [number, string, WebhookName, RegExp][] = [
    [404, "no_service", "main", /webhook URL in SLACK_WEBHOOK_URL .* is correct.*not disabled or removed/],
    [404, "channel_not_found", "main", /channel was not deleted/],
    [410, "channel_is_archived", "alerts", /archived: unarchive it, or .*SLACK_ALERTS_WEBHOOK_URL/],
    [403, "action_prohibited", "main", /admin restriction/],
    [403, "posting_to_general_channel_denied", "reports", /only admins.*SLACK_REPORTS_WEBHOOK_URL/],
    [404, "no_team", "main", /workspace was not found or is disabled/],
    [404, "team_disabled", "main", /workspace was not found or is disabled/],
    [403, "invalid_token", "main", /Slack does not know this webhook/],
    [400, "no_service_id", "main", /Slack does not know this webhook/],
    [403, "", "main", /webhook URL .* is correct.*Slack app is not disabled.*channel was not deleted/],
  ];
  for (const [status, code, webhook, advice] of refusals) {
    it(`must fail at once, not retryable, with advice on ${status} ${code || "(no body)"}`, async () => {
      slack.disable(SENTINEL, status, code);
      const error = await rejection(new SlackSender(FAST).send({ name: webhook, url: target.url }, payload));
      assert.equal(error.retryable, false);
      assert.equal(error.statusCode, status);
      assert.equal(error.webhook, webhook);
      if (code) assert.equal(error.slackError, code);
      assert.match(error.message, advice);
      assert.equal(slack.requests(SENTINEL).length, 1, "a refusal must be neither retried nor degraded");
    });
  }

  describe("a payload Slack refuses", () => {
    const bodies = () =>
      slack.requests(SENTINEL).map((r) => JSON.parse(r.rawBody) as Record<string, unknown>);

    for (const code of ["invalid_blocks", "msg_blocks_too_long", "invalid_payload", "too_many_attachments"]) {
      it(`must send the plain text once instead on 400 ${code}, and log that it degraded`, async () => {
        slack.fail(SENTINEL, 400, code, 1);
        const { logger, lines } = capture();
        await new SlackSender({ ...FAST, logger }).send(target, payload);
        assert.deepEqual(
          slack.requests(SENTINEL).map((r) => r.status),
          [400, 200],
        );
        assert.deepEqual(bodies()[1], { text: payload.text });
        assert.deepEqual(slack.messages(SENTINEL)[0]?.text, payload.text);
        assert.equal(slack.messages(SENTINEL)[0]?.blocks, undefined);
        const warning = JSON.parse(lines[0] ?? "{}") as { level?: number; slackError?: string; msg?: string };
        assert.equal(lines.length, 1);
        assert.deepEqual(
          [warning.level, warning.slackError, (warning as { degraded?: boolean }).degraded],
          [40, code, true],
        );
        assert.match(warning.msg ?? "", /refused the blocks .*main webhook.*sending its plain text instead/);
      });
    }

    it("must deliver a message whose blocks the fake refuses as too long, as plain text", async () => {
      const tooLong: SlackPayload = {
        text: "❌ 백업 작업 실패",
        blocks: Array.from({ length: 5 }, () => ({
          type: "section" as const,
          text: { type: "mrkdwn" as const, text: "가".repeat(3000) },
        })),
      };
      await new SlackSender(FAST).send(target, tooLong);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => [r.status, r.body]),
        [
          [400, "msg_blocks_too_long"],
          [200, "ok"],
        ],
      );
      assert.equal(slack.messages(SENTINEL)[0]?.text, "❌ 백업 작업 실패");
    });

    it("must retry as plain text exactly once: a second payload error is final, with advice", async () => {
      slack.disable(SENTINEL, 400, "invalid_blocks");
      const error = await rejection(new SlackSender(FAST).send(target, payload));
      assert.equal(slack.requests(SENTINEL).length, 2);
      assert.ok("blocks" in bodies()[0]! && !("blocks" in bodies()[1]!));
      assert.equal(error.retryable, false);
      assert.equal(error.statusCode, 400);
      assert.equal(error.slackError, "invalid_blocks");
      assert.match(error.message, /drox-backup bug/);
    });

    it("must keep retrying the plain text on 5xx within the budget", async () => {
      slack.fail(SENTINEL, 400, "msg_blocks_too_long", 1).fail(SENTINEL, 503, "service_unavailable", 1);
      await new SlackSender(FAST).send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [400, 503, 200],
      );
      assert.deepEqual(bodies()[2], { text: payload.text });
    });
  });

  it("must explain msg_blocks_too_long and missing_text_or_fallback_or_attachments", () => {
    assert.match(adviceFor("main", 400, "msg_blocks_too_long"), /too long \(about 12,000 characters of text/);
    assert.match(
      adviceFor("main", 400, "missing_text_or_fallback_or_attachments"),
      /no text, blocks or attachments: this is a drox-backup bug/,
    );
  });

  it("must never let the webhook URL into errors, causes, stacks or logs", async () => {
    const { logger, lines } = capture();
    const failures: Promise<SlackDeliveryError>[] = [];
    const sender = (extra: SenderOptions = {}) => new SlackSender({ ...FAST, logger, ...extra });

    slack.disable(SENTINEL, 404, "no_service");
    failures.push(rejection(sender().send(target, payload)));
    const other = { name: "alerts" as const, url: slack.webhookUrl(`${SENTINEL}b`) };
    slack.fail(`${SENTINEL}b`, 502, `bad gateway at ${other.url}`, 5);
    failures.push(rejection(sender({ maxAttempts: 2 }).send(other, payload)));
    const slow = { name: "reports" as const, url: slack.webhookUrl(`${SENTINEL}c`) };
    slack.stall(`${SENTINEL}c`, 1_000, 5);
    failures.push(rejection(sender({ maxAttempts: 2, timeoutMs: 100 }).send(slow, payload)));

    const errors = await Promise.all(failures);
    assert.equal(errors.length, 3);
    for (const error of errors) {
      const text = everyRendering(error);
      assert.ok(!text.includes(SENTINEL), text);
      assert.ok(!text.includes("/services/T0FAKE"), text);
    }
    assert.ok(lines.length >= 2);
    assert.ok(!lines.join("\n").includes(SENTINEL), lines.join("\n"));
  });

  it("must read Retry-After as seconds or as an HTTP date", () => {
    assert.equal(parseRetryAfter("3"), 3_000);
    assert.equal(parseRetryAfter("0.5"), 500);
    const now = Date.parse("2024-11-04T00:00:00Z");
    assert.equal(parseRetryAfter("Mon, 04 Nov 2024 00:00:07 GMT", now), 7_000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(""), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
    // delay-seconds is 1*DIGIT (RFC 9110 section 10.2.3): anything around the number is unreadable.
    assert.equal(parseRetryAfter(" 3 "), 3_000);
    assert.equal(parseRetryAfter("1.25"), 1_250);
    assert.equal(parseRetryAfter("x3"), undefined);
    assert.equal(parseRetryAfter("3x"), undefined);
    assert.equal(parseRetryAfter("Mon, 04 Nov 2024 00:00:00 GMT", now + 5_000), 0);
  });

  describe("retry limits and pacing, to the millisecond the logs and requests show", () => {
    const waits = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { waitMs?: number }).waitMs);

    it("must back off by equal jitter: half the doubled step fixed, half random, capped", async () => {
      // Equal jitter as AWS defines it: step = min(cap, base * 2^attempt), wait = step/2 + random(0, step/2)
      // (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
      for (const [random, maxDelayMs, expected] of [
        [0, 10_000, [50, 100, 200]],
        [1, 10_000, [100, 200, 400]],
        [1, 150, [100, 150, 150]],
      ] as const) {
        slack.reset();
        slack.fail(SENTINEL, 500, "rollup_error", 3);
        const { logger, lines } = capture();
        await new SlackSender({ ...FAST, baseDelayMs: 100, maxDelayMs, random: () => random, logger }).send(
          target,
          payload,
        );
        assert.deepEqual(waits(lines), expected, `random ${random}, cap ${maxDelayMs}`);
        const first = JSON.parse(lines[0]!) as Record<string, unknown>;
        assert.deepEqual(
          [first.webhook, first.attempt, first.statusCode, first.slackError],
          ["main", 1, 500, "rollup_error"],
        );
      }
    });

    it("must retry 408 Request Timeout like a 5xx", async () => {
      slack.fail(SENTINEL, 408, "request_timeout", 1);
      await new SlackSender(FAST).send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [408, 200],
      );
    });

    it("must name the attempt limit, and the status alone when Slack gave no error string", async () => {
      slack.fail(SENTINEL, 502, "", 3);
      const error = await rejection(new SlackSender({ ...FAST, maxAttempts: 3 }).send(target, payload));
      assert.match(
        error.message,
        /\(last: HTTP 502\); the 3-attempt limit is reached\. It may succeed later/,
      );
    });

    it("must give up on a 5xx whose backoff would outlast the budget, without calling it a Retry-After", async () => {
      slack.fail(SENTINEL, 503, "service_unavailable", 2);
      const error = await rejection(
        new SlackSender({
          ...FAST,
          baseDelayMs: 1_000,
          maxDelayMs: 1_000,
          budgetMs: 1_000,
          random: () => 1,
        }).send(target, payload),
      );
      assert.equal(slack.requests(SENTINEL).length, 1);
      assert.match(error.message, /; waiting 1\.0 s would exceed the 1\.0 s delivery budget\./);
    });

    it("must wait a Retry-After that fits the budget with room for one short request, and not one that does not", async () => {
      // 1 s of Retry-After + up to 0.1 s for the request fits 1.5 s: delivered.
      slack.rateLimit(SENTINEL, 1);
      await new SlackSender({ ...FAST, budgetMs: 1_500 }).send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [429, 200],
      );
      // It does not fit 1.05 s: handed back at once.
      slack.reset();
      slack.rateLimit(SENTINEL, 1);
      const started = Date.now();
      const error = await rejection(new SlackSender({ ...FAST, budgetMs: 1_050 }).send(target, payload));
      assert.ok(Date.now() - started < 800, `${Date.now() - started} ms`);
      assert.match(error.message, /waiting 1\.0 s \(Retry-After\) would exceed the 1\.1 s delivery budget/);
    });

    it("must hold the next message for a Retry-After that fits its budget, and hand back one that does not", async () => {
      slack.rateLimit(SENTINEL, 1);
      const sender = new SlackSender({ ...FAST, maxAttempts: 1, budgetMs: 1_500 });
      await rejection(sender.send(target, payload));
      // About 1 s of hold + 0.1 s fits 1.5 s: the next message waits, then goes.
      await sender.send(target, payload);
      assert.deepEqual(
        slack.requests(SENTINEL).map((r) => r.status),
        [429, 200],
      );
      const tight = new SlackSender({ ...FAST, maxAttempts: 1, budgetMs: 1_050 });
      slack.reset();
      slack.rateLimit(SENTINEL, 1);
      await rejection(tight.send(target, payload));
      const error = await rejection(tight.send(target, payload));
      assert.equal(error.attempts, 0);
      assert.equal(slack.requests(SENTINEL).length, 1);
      assert.match(
        error.message,
        /^Slack did not accept the message to the main webhook: after Slack's 429 the webhook must stay quiet .* It may succeed later \(retryable\)$/,
      );
    });

    it("must send the first request even on a budget shorter than a request, when nothing holds the webhook", async () => {
      await new SlackSender({ ...FAST, budgetMs: 50 }).send(target, payload);
      assert.equal(slack.messages(SENTINEL).length, 1);
    });

    it("must keep the pace only after a 429 and only for the pace window", async () => {
      const gapsAfter = () => {
        const at = slack.requests(SENTINEL).map((r) => r.at);
        return at.slice(1).map((t, i) => t - at[i]!);
      };
      // A 5xx is no rate limit: the next message goes at once.
      slack.fail(SENTINEL, 503, "service_unavailable", 1);
      const sender = new SlackSender({ ...FAST, random: () => 0 });
      await sender.send(target, payload);
      await sender.send(target, payload);
      assert.ok(gapsAfter()[1]! < 600, `a message after a 5xx waited ${gapsAfter()[1]} ms`);

      // After a 429 (Retry-After 1 s) with a 0.5 s window: the next message keeps the 1 s pace, the
      // one after that (the window over) goes at once.
      slack.reset();
      slack.rateLimit(SENTINEL, 1);
      const paced = new SlackSender({ ...FAST, paceWindowMs: 500 });
      await paced.send(target, payload);
      await paced.send(target, payload);
      await paced.send(target, payload);
      const [, paceGap, afterWindow] = gapsAfter();
      assert.ok(paceGap! >= 900, `the message after the 429's retry went ${paceGap} ms later`);
      assert.ok(afterWindow! < 600, `the message after the window waited ${afterWindow} ms`);
    });
  });
});
