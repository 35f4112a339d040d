import assert from "node:assert/strict";
import type { SNSEvent } from "aws-lambda";
import { DroxError } from "../runtime/contract/errors";
import type { BackupResult, DroxEvent } from "../runtime/contract/events";
import { createHandlers, type Handlers } from "../runtime/handlers";
import { MemoryLinkStore } from "../runtime/links/store";
import { createLogger } from "../runtime/logging/logger";
import { buildPayload } from "../runtime/slack/blocks";
import { clearSecretCache } from "../runtime/settings/secrets";
import { FAKE_BOT_TOKEN, FakeSlack } from "./fakes/slack-server";
import { startFakeNotion, type FakeNotionServer } from "./fakes/notion-server";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";

let seq = 0;
function sns(message: DroxEvent): SNSEvent {
  seq += 1;
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events:sub",
        Sns: {
          Type: "Notification",
          MessageId: `msg-${seq}`,
          TopicArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events",
          Subject: "drox-backup",
          Message: JSON.stringify(message),
          Timestamp: "2024-11-04T00:00:00.000Z",
          SignatureVersion: "1",
          Signature: "fake",
          SigningCertUrl: "https://sns.example/cert.pem",
          UnsubscribeUrl: "https://sns.example/unsubscribe",
          MessageAttributes: {},
        },
      },
    ],
  };
}

async function rejection(promise: Promise<unknown>): Promise<DroxError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DroxError, `expected a DroxError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the handler to throw");
}

const LINK_LINE = (pageId: string) => `📒 <https://www.notion.so/${pageId.replace(/-/g, "")}|Notion 로그>`;

describe("bot token mode: Slack and Notion linked both ways", function () {
  this.timeout(60_000);
  let slack: FakeSlack;
  let notion: FakeNotionServer;
  let dataSourceId: string;
  let handlers: Handlers;
  let main: string;
  let alerts: string;

  before(async () => {
    slack = await FakeSlack.start();
    notion = await startFakeNotion();
    main = slack.api.addChannel("devops-backup");
    alerts = slack.api.addChannel("devops-alerts");
    slack.api.addChannel("devops-reports");
  });
  after(async () => {
    await slack.close();
    await notion.close();
  });
  beforeEach(() => {
    slack.reset();
    notion.reset();
    clearSecretCache();
    const db = notion.addDatabase();
    dataSourceId = db.dataSourceId;
    handlers = createHandlers(
      {
        SLACK_BOT_TOKEN: FAKE_BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        SLACK_BACKUP_CHANNEL: "devops-backup",
        SLACK_ALERTS_CHANNEL: "devops-alerts",
        SLACK_REPORTS_CHANNEL: "devops-reports",
        NOTION_TOKEN: notion.token,
        NOTION_DATABASE_ID: db.databaseId,
        NOTION_API_BASE_URL: notion.url,
        DISPLAY_TIME_ZONE: "Asia/Seoul",
      },
      {
        logger: createLogger({ level: "silent" }),
        links: new MemoryLinkStore(),
        notion: { requestsPerSecond: 0, retry: { maxRetries: 0 } },
      },
    );
  });

  const pages = () => notion.pages(dataSourceId);
  const slackLog = (i = 0) => (pages()[i]?.properties.Slack_Log_Link as { url?: string } | undefined)?.url;
  const lastBlockText = (blocks: unknown[] | undefined) =>
    (blocks?.at(-1) as { elements?: { text?: string }[] } | undefined)?.elements?.[0]?.text;

  it("must link both ways when Slack delivers first: the page gets the permalink, each message the page", async () => {
    await handlers.slackNotifier(sns(SEED_FAILURE));
    const [mainPost] = slack.api.posts(main);
    const [alertPost] = slack.api.posts(alerts);
    assert.ok(mainPost && alertPost);
    assert.equal(mainPost.edits, 0);

    await handlers.notionLogger(sns(SEED_FAILURE));
    assert.equal(pages().length, 1);
    const pageId = pages()[0]!.id;
    assert.equal(slackLog(), slack.api.permalinkOf(main, mainPost.ts));
    assert.equal(pages()[0]!.updates ?? 0, 0, "the permalink was known: set when the page was created");
    for (const post of [mainPost, alertPost]) {
      const after = slack.api.message(post.channel, post.ts)!;
      assert.equal(after.edits, 1);
      assert.equal(lastBlockText(after.blocks), LINK_LINE(pageId));
      assert.equal(after.text, buildPayload(SEED_FAILURE, { timeZone: "Asia/Seoul" }).text);
    }
  });

  it("must link both ways when Notion delivers first: the message is posted with the link, the page updated", async () => {
    await handlers.notionLogger(sns(SEED_SUCCESS));
    assert.equal(slackLog(), undefined);
    assert.equal(slack.api.calls().length, 0, "Notion first needs no Slack call");
    await handlers.slackNotifier(sns(SEED_SUCCESS));
    const [post] = slack.api.posts(main);
    const pageId = pages()[0]!.id;
    assert.equal(post?.edits, 0);
    assert.equal(lastBlockText(post?.blocks), LINK_LINE(pageId));
    assert.equal(slackLog(), slack.api.permalinkOf(main, post!.ts));
    assert.equal(pages()[0]!.updates, 1);
  });

  it("must post the alert on time while Notion is down, and link it once Notion is back", async () => {
    notion.failNext({ status: 503, count: 1_000 });
    const started = Date.now();
    await handlers.slackNotifier(sns(SEED_FAILURE));
    assert.ok(Date.now() - started < 2_000, "the Slack alert waited for Notion");
    assert.equal(slack.api.posts().length, 2);
    assert.equal(notion.requests.length, 0, "the Slack delivery called Notion");
    const error = await rejection(handlers.notionLogger(sns(SEED_FAILURE)));
    assert.equal(error.retryable, true);

    notion.reset(); // Notion is back (the database stays); Lambda redelivers the event
    await handlers.notionLogger(sns(SEED_FAILURE));
    const [post] = slack.api.posts(main);
    assert.equal(slackLog(), slack.api.permalinkOf(main, post!.ts));
    assert.equal(lastBlockText(slack.api.message(main, post!.ts)?.blocks), LINK_LINE(pages()[0]!.id));
    assert.equal(slack.api.posts().length, 2, "no second message");
  });

  it("must write the page while Slack is down, and post the alert with the link once Slack is back", async () => {
    slack.api.outage(503);
    await handlers.notionLogger(sns(SEED_FAILURE));
    assert.equal(pages().length, 1);
    const error = await rejection(handlers.slackNotifier(sns(SEED_FAILURE)));
    assert.equal(error.retryable, true);
    slack.api.endOutage();
    await handlers.slackNotifier(sns(SEED_FAILURE));
    const [post] = slack.api.posts(main);
    assert.equal(lastBlockText(post?.blocks), LINK_LINE(pages()[0]!.id));
    assert.equal(slackLog(), slack.api.permalinkOf(main, post!.ts));
  });

  it("must make no second message, page, edit or page update when both deliveries are redelivered", async () => {
    for (const deliver of [
      () => handlers.slackNotifier(sns(SEED_FAILURE)),
      () => handlers.notionLogger(sns(SEED_FAILURE)),
      () => handlers.slackNotifier(sns(SEED_FAILURE)),
      () => handlers.notionLogger(sns(SEED_FAILURE)),
      () => handlers.slackNotifier(sns(SEED_FAILURE)),
    ])
      await deliver();
    assert.equal(slack.api.posts(main).length, 1);
    assert.equal(slack.api.posts(alerts).length, 1);
    assert.equal(pages().length, 1);
    assert.deepEqual(
      slack.api.posts().map((p) => p.edits),
      [1, 1],
    );
    assert.equal(slack.api.calls("chat.update").length, 2);
    assert.equal(pages()[0]!.updates ?? 0, 0);
  });

  it("must link a weekly report's page and message, Report_Link included", async () => {
    await handlers.slackNotifier(sns(SEED_REPORT));
    await handlers.notionLogger(sns(SEED_REPORT));
    const [post] = slack.api.posts(main);
    const permalink = slack.api.permalinkOf(main, post!.ts);
    assert.equal(slackLog(), permalink);
    assert.equal((pages()[0]!.properties.Report_Link as { url?: string }).url, permalink);
  });

  it("must reply in the original's thread and update its page when a pending snapshot completes", async () => {
    const pending: BackupResult = {
      ...SEED_SUCCESS,
      jobId: "run-1-ebs-vol-1",
      status: "WARNING",
      error: { code: "SnapshotPending", message: "Snapshot snap-789 still pending after 600 s" },
    };
    const completed: BackupResult = {
      ...SEED_SUCCESS,
      jobId: "check-2-ebs-vol-1",
      status: "SUCCEEDED",
      followUpOf: pending.jobId,
      improvement: "스냅샷 완료 확인 (무결성 검사)",
    };
    await handlers.slackNotifier(sns(pending));
    await handlers.notionLogger(sns(pending));
    const [original] = slack.api.posts(main);
    const originalPage = pages()[0]!;
    assert.equal(
      (originalPage.properties.Status as { status?: { name?: string } }).status?.name,
      "⚠️ 점검필요",
    );

    await handlers.slackNotifier(sns(completed));
    await handlers.notionLogger(sns(completed));
    const reply = slack.api.posts(main)[1];
    assert.equal(reply?.threadTs, original!.ts);
    assert.equal(reply?.text?.split("\n")[0], "✅ 백업 작업 성공");
    const updated = pages().find((p) => p.id === originalPage.id)!;
    assert.equal((updated.properties.Status as { status?: { name?: string } }).status?.name, "✅ 완료");
    assert.equal(
      (updated.properties.Improvement as { rich_text?: { text: { content: string } }[] }).rich_text?.[0]?.text
        .content,
      "스냅샷 완료 확인 (무결성 검사)",
    );
    const replyPage = pages().find((p) => p.id !== originalPage.id)!;
    assert.equal(
      (replyPage.properties.Slack_Log_Link as { url?: string }).url,
      `${slack.api.permalinkOf(main, reply!.ts)}?thread_ts=${original!.ts}&cid=${main}`,
    );
  });
});
