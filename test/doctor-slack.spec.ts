import assert from "node:assert/strict";
import { type Check, checkSlack, formatCheck } from "../runtime/setup/doctor";
import { FakeSlack } from "./fakes/slack-server";

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
