import assert from "node:assert/strict";
import { type Check, checkSlack, formatCheck } from "../runtime/setup/doctor";
import { FAKE_BOT_TOKEN, FakeSlack } from "./fakes/slack-server";

/** A webhook URL of the right shape whose token part is a sentinel: it must never be printed. */
const SENTINEL_TOKEN = "SENTINELtok3nXXXXXXXXXXXX";
const REAL_SHAPE = `https://hooks.slack.com/services/T0DROX/B0DROX/${SENTINEL_TOKEN}`;

function byName(checks: readonly Check[], variable: string): Check {
  const found = checks.find((c) => c.name.includes(`(${variable})`));
  assert.ok(found, `no check for ${variable}`);
  return found;
}

describe("drox-backup doctor: Slack", function () {
  let slack: FakeSlack;

  before(async () => {
    slack = await FakeSlack.start();
  });
  beforeEach(() => slack.reset());
  after(async () => {
    await slack.close();
  });

  it("must accept an Incoming Webhook URL and mark the optional channels as not set", async () => {
    const checks = await checkSlack({ SLACK_WEBHOOK_URL: REAL_SHAPE });
    assert.deepEqual(
      checks.map((c) => c.status),
      ["ok", "ok", "ok"],
    );
    assert.equal(
      byName(checks, "SLACK_WEBHOOK_URL").detail,
      "SLACK_WEBHOOK_URL is a Slack Incoming Webhook URL",
    );
    assert.match(
      byName(checks, "SLACK_ALERTS_WEBHOOK_URL").detail,
      /optional, not set: failures .* #devops-backup only/,
    );
    assert.match(
      byName(checks, "SLACK_REPORTS_WEBHOOK_URL").detail,
      /weekly reports go to #devops-backup only/,
    );
    assert.equal(slack.requests().length, 0, "nothing is posted without --send");
  });

  it("must warn that bot channels set without a bot token are unused, still posting through the webhook", async () => {
    const checks = await checkSlack({
      SLACK_WEBHOOK_URL: REAL_SHAPE,
      SLACK_BACKUP_CHANNEL: "devops-backup",
      SLACK_REPORTS_CHANNEL: "#devops-reports",
    });
    assert.deepEqual(
      checks.map((c) => c.status),
      ["ok", "ok", "ok", "warn"],
    );
    const unused = byName(checks, "SLACK_BACKUP_CHANNEL, SLACK_REPORTS_CHANNEL");
    assert.equal(
      unused.detail,
      "set without a bot token: messages go to the webhooks and these channels are unused",
    );
    assert.match(unused.fix ?? "", /pulumi config set --secret slackBotToken xoxb-/);
    assert.equal(
      (await checkSlack({ SLACK_WEBHOOK_URL: REAL_SHAPE })).some((c) => c.status === "warn"),
      false,
      "no channels: no warning",
    );
  });

  it("must fail a missing main webhook with the steps to create one", async () => {
    const check = byName(await checkSlack({}), "SLACK_WEBHOOK_URL");
    assert.equal(check.status, "fail");
    assert.equal(check.detail, "neither SLACK_WEBHOOK_URL nor SLACK_WEBHOOK_SECRET_ARN is set");
    assert.match(
      check.fix ?? "",
      /Incoming Webhooks → Add New Webhook to Workspace → #devops-backup → Allow/,
    );
    assert.match(check.fix ?? "", /pulumi config set --secret slackWebhookUrl/);
  });

  it("must name what is wrong with a malformed URL without ever printing it", async () => {
    const cases: [string, RegExp][] = [
      [`http://hooks.slack.com/services/T0DROX/B0DROX/${SENTINEL_TOKEN}`, /must use https/],
      [`https://hooks.example.com/services/T0DROX/B0DROX/${SENTINEL_TOKEN}`, /must be on hooks\.slack\.com/],
      [
        `https://hooks.slack.com/workflows/T0DROX/${SENTINEL_TOKEN}`,
        /must have the path \/services\/T…\/B…\/…/,
      ],
      [` ${SENTINEL_TOKEN}`, /is not a URL/],
    ];
    for (const [url, reason] of cases) {
      const checks = await checkSlack({ SLACK_WEBHOOK_URL: REAL_SHAPE, SLACK_ALERTS_WEBHOOK_URL: url });
      const check = byName(checks, "SLACK_ALERTS_WEBHOOK_URL");
      assert.equal(check.status, "fail", url);
      assert.match(check.detail, reason);
      assert.match(check.fix ?? "", /#devops-alerts/);
      for (const c of checks) assert.ok(!formatCheck(c).includes(SENTINEL_TOKEN), formatCheck(c));
    }
  });

  it("must post the test message to the main webhook with --send", async () => {
    const checks = await checkSlack(
      { SLACK_WEBHOOK_URL: slack.webhookUrl("main"), SLACK_REPORTS_WEBHOOK_URL: slack.webhookUrl("reports") },
      { send: true },
    );
    const sent = checks.at(-1)!;
    assert.equal(sent.status, "ok");
    assert.equal(sent.name, "Slack test message (--send)");
    const [message, ...more] = slack.messages();
    assert.equal(more.length, 0);
    assert.equal(message!.hook, "main");
    assert.match(message!.text ?? "", /Slack 연동이 정상적으로 설정되었습니다\./);
  });

  it("must report Slack's refusal of the test message with the advice for it", async () => {
    slack.disable("main", 404, "no_service");
    const checks = await checkSlack(
      { SLACK_WEBHOOK_URL: slack.webhookUrl("main"), SLACK_MAX_ATTEMPTS: "1" },
      { send: true },
    );
    const sent = checks.at(-1)!;
    assert.equal(sent.status, "fail");
    assert.match(sent.detail, /no_service/);
    assert.match(sent.detail, /Slack does not know this webhook/);
  });

  it("must not send when a webhook setting is already wrong", async () => {
    const checks = await checkSlack(
      { SLACK_WEBHOOK_URL: slack.webhookUrl("main"), SLACK_ALERTS_WEBHOOK_URL: "not a url" },
      { send: true },
    );
    assert.equal(checks.at(-1)!.status, "fail");
    assert.match(checks.at(-1)!.detail, /not sent/);
    assert.equal(slack.requests().length, 0);
  });
});

describe("drox-backup doctor: Slack bot (bot token mode)", function () {
  this.timeout(30_000);
  let slack: FakeSlack;
  let main: string;
  let alerts: string;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BACKUP_CHANNEL: main,
    SLACK_ALERTS_CHANNEL: alerts,
    ...extra,
  });

  before(async () => {
    slack = await FakeSlack.start();
    main = slack.api.addChannel("devops-backup");
    alerts = slack.api.addChannel("devops-alerts", { member: false });
  });
  beforeEach(() => {
    slack.reset();
    slack.api.setScopes(["chat:write", "files:write", "channels:read"]);
  });
  after(() => slack.close());

  it("must check the token, the scopes and each channel, naming the exact /invite for a channel without the bot", async () => {
    const checks = await checkSlack(env());
    assert.deepEqual(
      checks.map((c) => [c.name, c.status]),
      [
        ["Slack bot token (auth.test)", "ok"],
        ["Slack bot scopes", "ok"],
        ["Slack bot in #devops-backup (SLACK_BACKUP_CHANNEL)", "ok"],
        ["Slack bot in #devops-alerts (SLACK_ALERTS_CHANNEL)", "fail"],
        ["Slack bot in #devops-reports (SLACK_REPORTS_CHANNEL)", "ok"],
      ],
    );
    assert.equal(checks[3]!.fix, "type /invite @DROX DevOps Backup in #devops-alerts");
    assert.equal(slack.api.posts().length, 0, "no --send, no post");
  });

  it("must name the missing scopes and how to add them", async () => {
    slack.api.setScopes(["chat:write"]);
    const scopes = (await checkSlack(env())).find((c) => c.name === "Slack bot scopes")!;
    assert.equal(scopes.status, "fail");
    assert.equal(scopes.detail, "missing files:write, channels:read (has chat:write)");
    assert.match(scopes.fix ?? "", /Bot Token Scopes .* reinstall the app/);
  });

  it("must fail on a token Slack refuses, without printing it", async () => {
    const checks = await checkSlack(env({ SLACK_BOT_TOKEN: "xoxb-1-2-RefusedSentinelToken" }));
    assert.equal(checks.length, 1);
    assert.equal(checks[0]!.status, "fail");
    assert.match(checks[0]!.detail, /invalid_auth/);
    assert.ok(!checks.map(formatCheck).join("\n").includes("RefusedSentinelToken"));
  });

  it("must post the test message with --send and print its permalink", async () => {
    const checks = await checkSlack(env({ SLACK_ALERTS_CHANNEL: "" }), { send: true });
    const [post] = slack.api.posts(main);
    assert.ok(post);
    assert.deepEqual(checks.at(-1), {
      status: "ok",
      name: "Slack test post (--send)",
      detail: `posted: ${slack.api.permalinkOf(main, post.ts)}`,
    });
  });
});
