import assert from "node:assert/strict";
import type { DroxEvent } from "../runtime/contract/events";
import { BotNotifier, createSlackNotifierFromEnv, notionLinkBlock, withNotionLink } from "../runtime/slack";
import { buildPayload, buildTestPayload, type SlackBlock, type SlackPayload } from "../runtime/slack/blocks";
import { DEFAULT_RETRY, type BotChannels, type BotSettings } from "../runtime/slack/settings";
import { FAKE_BOT_TOKEN, FakeSlack } from "./fakes/slack-server";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";

const PAGE = "https://www.notion.so/0123456789abcdef0123456789abcdef";
const THRESHOLDS = { ok: 0.99, warn: 0.9 };
/** Block Kit: "You can include up to 50 blocks in each message". */
const SLACK_MAX_BLOCKS = 50;

const section = (i: number): SlackBlock => ({ type: "section", text: { type: "mrkdwn", text: `line ${i}` } });
const payloadOf = (blocks: number): SlackPayload => ({
  text: "fallback",
  blocks: Array.from({ length: blocks }, (_, i) => section(i)),
});

describe("Slack bot notifier (bot token mode)", function () {
  this.timeout(30_000);
  let slack: FakeSlack;
  let main: string;
  let alerts: string;
  let reports: string;

  before(async () => {
    slack = await FakeSlack.start();
    main = slack.api.addChannel("devops-backup");
    alerts = slack.api.addChannel("devops-alerts");
    reports = slack.api.addChannel("devops-reports");
  });
  beforeEach(() => slack.reset());
  after(() => slack.close());

  const settings = (channels: BotChannels): BotSettings => ({
    token: FAKE_BOT_TOKEN,
    channels,
    apiUrl: slack.apiUrl,
    timeZone: "UTC",
    thresholds: THRESHOLDS,
    retry: DEFAULT_RETRY,
  });

  describe("the Notion link", () => {
    it("must be a context line linking the page as Slack mrkdwn <url|text>", () => {
      assert.deepEqual(notionLinkBlock(PAGE), {
        type: "context",
        elements: [{ type: "mrkdwn", text: `📒 <${PAGE}|Notion 로그>` }],
      });
    });

    it("must leave the payload as it is while the page is unknown", () => {
      const payload = payloadOf(3);
      assert.equal(withNotionLink(payload, undefined), payload);
    });

    it("must add the link as the last block, the text unchanged", () => {
      const linked = withNotionLink(payloadOf(3), PAGE);
      assert.deepEqual(linked, {
        text: "fallback",
        blocks: [section(0), section(1), section(2), notionLinkBlock(PAGE)],
      });
    });

    it("must stay within Slack's 50 blocks: appended to 49, in place of the last of 50", () => {
      const below = withNotionLink(payloadOf(SLACK_MAX_BLOCKS - 1), PAGE).blocks;
      assert.equal(below.length, SLACK_MAX_BLOCKS);
      assert.deepEqual(below.at(-2), section(SLACK_MAX_BLOCKS - 2));
      assert.deepEqual(below.at(-1), notionLinkBlock(PAGE));
      const full = withNotionLink(payloadOf(SLACK_MAX_BLOCKS), PAGE).blocks;
      assert.equal(full.length, SLACK_MAX_BLOCKS);
      assert.deepEqual(full.at(-2), section(SLACK_MAX_BLOCKS - 2));
      assert.deepEqual(full.at(-1), notionLinkBlock(PAGE));
    });
  });

  describe("targets", () => {
    const names = (notifier: BotNotifier, event: DroxEvent) =>
      notifier.targets(event).map((t) => [t.name, t.channel]);

    it("must route to every configured channel, main first", () => {
      const notifier = new BotNotifier(
        settings({ main: "devops-backup", alerts: "devops-alerts", reports: "devops-reports" }),
      );
      assert.deepEqual(names(notifier, SEED_FAILURE), [
        ["main", "devops-backup"],
        ["alerts", "devops-alerts"],
      ]);
      assert.deepEqual(names(notifier, SEED_REPORT), [
        ["main", "devops-backup"],
        ["reports", "devops-reports"],
      ]);
      assert.deepEqual(names(notifier, SEED_SUCCESS), [["main", "devops-backup"]]);
    });

    it("must skip a channel that is not configured, and post once to a channel configured twice", () => {
      assert.deepEqual(names(new BotNotifier(settings({ main: "devops-backup" })), SEED_FAILURE), [
        ["main", "devops-backup"],
      ]);
      const twice = new BotNotifier(settings({ main: "devops-backup", alerts: "devops-backup" }));
      assert.deepEqual(names(twice, SEED_FAILURE), [["main", "devops-backup"]]);
    });
  });

  it("must format with the configured time zone and thresholds", () => {
    const notifier = new BotNotifier(settings({ main: "devops-backup" }));
    assert.deepEqual(
      notifier.payload(SEED_REPORT),
      buildPayload(SEED_REPORT, { timeZone: "UTC", thresholds: THRESHOLDS }),
    );
    assert.deepEqual(
      notifier.payload(SEED_FAILURE, PAGE),
      withNotionLink(buildPayload(SEED_FAILURE, { timeZone: "UTC", thresholds: THRESHOLDS }), PAGE),
    );
  });

  it("must post an event to each of its channels with chat.postMessage", async () => {
    const notifier = new BotNotifier(
      settings({ main: "devops-backup", alerts: "devops-alerts", reports: "devops-reports" }),
    );
    await notifier.notify(SEED_FAILURE);
    const expected = buildPayload(SEED_FAILURE, { timeZone: "UTC", thresholds: THRESHOLDS });
    assert.deepEqual(
      slack.api.posts().map((p) => [p.channel, p.text, p.blocks, p.threadTs]),
      [
        [main, expected.text, expected.blocks, undefined],
        [alerts, expected.text, expected.blocks, undefined],
      ],
    );
    assert.equal(slack.api.posts(reports).length, 0);
  });

  it("must post the test message to the main channel, at the injected time", async () => {
    const now = new Date("2024-11-04T00:30:00Z");
    await new BotNotifier(settings({ main: "devops-backup", alerts: "devops-alerts" }), {
      now: () => now,
    }).sendTest();
    const expected = buildTestPayload({ timeZone: "UTC", now });
    assert.deepEqual(
      slack.api.posts().map((p) => [p.channel, p.text, p.blocks]),
      [[main, expected.text, expected.blocks]],
    );
  });

  it("must post the test message at the current time without an injected clock", async () => {
    const before = Math.floor(Date.now() / 1000);
    await new BotNotifier(settings({ main: "devops-backup" })).sendTest();
    const after = Math.floor(Date.now() / 1000);
    const [post] = slack.api.posts(main);
    const seconds = Array.from({ length: after - before + 1 }, (_, i) => (before + i) * 1000);
    const texts = seconds.map((ms) => buildTestPayload({ timeZone: "UTC", now: new Date(ms) }).text);
    assert.ok(texts.includes(post?.text ?? ""), `${post?.text} not in ${texts.join(" / ")}`);
  });

  it("must be what createSlackNotifierFromEnv returns once a bot token is set, with the injected clock", async () => {
    const now = new Date("2024-11-04T00:30:00Z");
    const notifier = await createSlackNotifierFromEnv(
      {
        SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        SLACK_BACKUP_CHANNEL: "#devops-backup",
        // A webhook as well: the bot token decides.
        SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
        DISPLAY_TIME_ZONE: "Asia/Seoul",
      },
      { now: () => now },
    );
    assert.ok(notifier instanceof BotNotifier);
    await notifier.sendTest();
    const expected = buildTestPayload({ timeZone: "Asia/Seoul", now });
    assert.deepEqual(
      slack.api.posts().map((p) => [p.channel, p.text]),
      [[main, expected.text]],
    );
    assert.equal(slack.requests().length, 0, "nothing through the webhook");
  });
});
