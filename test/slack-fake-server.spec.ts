import assert from "node:assert/strict";
import { FakeSlack } from "./fakes/slack-server";

describe("fake Slack webhook server", function () {
  this.timeout(10_000);
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  async function post(
    body: unknown,
    { hook = "main", type = "application/json" }: { hook?: string; type?: string } = {},
  ): Promise<{ status: number; body: string; retryAfter: string | null }> {
    const res = await fetch(slack.webhookUrl(hook), {
      method: "POST",
      headers: { "Content-Type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after") };
  }

  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

  it("must answer 200 ok and record the message per webhook", async () => {
    assert.deepEqual(await post({ text: "hello" }), { status: 200, body: "ok", retryAfter: null });
    await post({ text: "other" }, { hook: "alerts" });
    assert.deepEqual(
      slack.messages("main").map((m) => m.text),
      ["hello"],
    );
    assert.deepEqual(
      slack.messages("alerts").map((m) => m.text),
      ["other"],
    );
  });

  it("must accept a form-encoded payload as Slack does", async () => {
    const form = new URLSearchParams({ payload: JSON.stringify({ text: "form" }) }).toString();
    assert.equal((await post(form, { type: "application/x-www-form-urlencoded" })).status, 200);
    assert.equal(slack.messages("main")[0]?.text, "form");
  });

  it("must refuse what Slack refuses, with Slack's error strings", async () => {
    const cases: [unknown, string, string?][] = [
      ["{not json", "invalid_payload"],
      [[1, 2], "invalid_payload"],
      [{ text: "x" }, "invalid_payload", "text/plain"],
      [{}, "missing_text_or_fallback_or_attachments"],
      [{ username: "bot" }, "missing_text_or_fallback_or_attachments"],
      [{ text: "   " }, "no_text"],
      [{ text: "x", blocks: [] }, "invalid_blocks"],
      [{ text: "x", blocks: Array.from({ length: 51 }, () => section("a")) }, "invalid_blocks"],
      [{ text: "x", blocks: [section("a".repeat(3001))] }, "invalid_blocks"],
      [{ text: "x", blocks: [{ type: "header", text: { type: "mrkdwn", text: "h" } }] }, "invalid_blocks"],
      [
        { text: "x", blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }] },
        "invalid_blocks",
      ],
      [
        {
          text: "x",
          blocks: [{ type: "section", fields: Array.from({ length: 11 }, () => section("f").text) }],
        },
        "invalid_blocks",
      ],
      [{ text: "x", blocks: [{ type: "nonsense" }] }, "invalid_blocks"],
      [{ text: "x", attachments: Array.from({ length: 101 }, () => ({})) }, "too_many_attachments"],
    ];
    for (const [body, error, type] of cases) {
      const res = await post(body, { type });
      assert.deepEqual([res.status, res.body], [400, error], JSON.stringify(body).slice(0, 80));
    }
    assert.equal(slack.messages().length, 0);
    assert.deepEqual(
      [slack.requests().length, slack.requests().every((r) => r.status === 400)],
      [cases.length, true],
    );
  });

  it("must accept 50 blocks holding 12,000 characters of text in all, and blocks without text", async () => {
    const blocks = Array.from({ length: 50 }, () => section("a".repeat(240)));
    assert.equal((await post({ blocks })).status, 200);
  });

  // Slack's maintainers: "12,000 text characters" across the blocks
  // (https://github.com/slackapi/bolt-js/issues/2509); a 400 however valid each block is.
  it("must refuse blocks whose text adds up to more than 12,000 characters with msg_blocks_too_long", async () => {
    const header = { type: "header", text: { type: "plain_text", text: "h" } };
    const fields = {
      type: "section",
      fields: Array.from({ length: 10 }, () => section("f".repeat(900)).text),
    };
    const cases: unknown[][] = [
      [...Array.from({ length: 4 }, () => section("a".repeat(3000))), header],
      [fields, section("b".repeat(3000)), { type: "context", elements: [section("c".repeat(1)).text] }],
    ];
    for (const blocks of cases) {
      const res = await post({ text: "fallback", blocks });
      assert.deepEqual([res.status, res.body], [400, "msg_blocks_too_long"]);
    }
    const exactly = [...Array.from({ length: 4 }, () => section("a".repeat(3000)))];
    assert.equal((await post({ text: "fallback", blocks: exactly })).status, 200);
    assert.equal(slack.messages().length, 1);
  });

  // "This behavior applies to all methods of posting messages to Slack: … incoming webhooks"
  // (https://api.slack.com/changelog/2018-04-truncating-really-long-messages): cut, not refused.
  it("must truncate text beyond 40,000 characters instead of refusing it", async () => {
    assert.equal((await post({ text: "b".repeat(45_000) })).status, 200);
    assert.equal(slack.messages("main")[0]?.text?.length, 40_000);
  });

  // /api/ is the Web API now (bot token mode, issue 11); other paths are still no webhook.
  it("must answer 404 no_service on paths that are not webhooks", async () => {
    const res = await fetch(`${slack.baseUrl}/services/chat.postMessage`, { method: "POST", body: "{}" });
    assert.deepEqual([res.status, await res.text()], [404, "no_service"]);
  });

  it("must enforce N messages a second per webhook with 429 and Retry-After", async () => {
    slack.enforceRate(2);
    assert.equal((await post({ text: "1" })).status, 200);
    const limited = await post({ text: "2" });
    assert.deepEqual([limited.status, limited.body, limited.retryAfter], [429, "rate_limited", "1"]);
    assert.equal(
      (await post({ text: "other hook" }, { hook: "alerts" })).status,
      200,
      "limits are per webhook",
    );
    await new Promise((resolve) => setTimeout(resolve, 510));
    assert.equal((await post({ text: "3" })).status, 200);
    assert.deepEqual(
      slack.messages("main").map((m) => m.text),
      ["1", "3"],
    );
  });

  it("must play scripted faults in order, per hook, then behave again", async () => {
    slack
      .rateLimit("main", 7)
      .fail("main", 503, "service_unavailable")
      .disable("gone", 410, "channel_is_archived");
    const first = await post({ text: "a" });
    assert.deepEqual([first.status, first.retryAfter], [429, "7"]);
    assert.equal((await post({ text: "a" })).status, 503);
    assert.equal((await post({ text: "a" })).status, 200);
    for (let i = 0; i < 2; i += 1) {
      const gone = await post({ text: "a" }, { hook: "gone" });
      assert.deepEqual([gone.status, gone.body], [410, "channel_is_archived"]);
    }
  });

  it("must hold stalled requests and not post those whose client gave up", async () => {
    slack.stall("main", 400);
    await assert.rejects(
      fetch(slack.webhookUrl("main"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: "late" }),
        signal: AbortSignal.timeout(100),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(slack.messages().length, 0);
    assert.equal(slack.requests()[0]?.status, 0);
  });
});
