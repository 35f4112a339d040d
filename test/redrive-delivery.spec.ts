import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SNSEvent } from "aws-lambda";
import { main } from "../runtime/cli";
import { EXIT, type CliIo } from "../runtime/commands/io";
import { createHandlers, type Handlers } from "../runtime/handlers";
import { createLogger } from "../runtime/logging/logger";
import { subscriberFilterPolicy, type Subscriber } from "../runtime/ops/routing";
import { SnsEventPublisher } from "../runtime/publishing/sns";
import { startFakeNotion, type FakeNotionServer } from "./fakes/notion-server";
import { FakeSlack } from "./fakes/slack-server";
import { SEED_FAILURE } from "./fixtures/events";
import { invocationRecord } from "./support/dead-letters";
import { useMoto, type Moto } from "./support/moto";

/**
 * The whole loop against the fakes: SNS (moto) delivers to each subscriber's stand-in queue with the
 * filter policy the stack gives its subscription; each stand-in feeds the real handler as Lambda
 * would; a failed invocation becomes Lambda's on-failure record in that subscriber's dead-letter
 * queue; `drox-backup redrive` sends it again.
 */
describe("redrive end to end: exactly one Slack message and one Notion page", function () {
  this.timeout(120_000);
  let moto: Moto;
  let sqs: SQSClient;
  let slack: FakeSlack;
  let notion: FakeNotionServer;
  let handlers: Handlers;
  let dataSourceId: string;
  let topicArn: string;
  const inbox = {} as Record<Subscriber, string>;
  const dlq = {} as Record<Subscriber, string>;

  async function queue(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    return { url: QueueUrl ?? "", arn: attrs.Attributes?.QueueArn ?? "" };
  }

  /** Lambda's part: invoke the subscriber with what SNS delivered; a failure goes to its DLQ. */
  async function invoke(subscriber: Subscriber): Promise<number> {
    let invocations = 0;
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: inbox[subscriber],
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      if (!out.Messages?.length) return invocations;
      for (const m of out.Messages) {
        const sns = JSON.parse(m.Body ?? "{}") as SNSEvent["Records"][number]["Sns"];
        const event: SNSEvent = {
          Records: [
            {
              EventSource: "aws:sns",
              EventVersion: "1.0",
              EventSubscriptionArn: `${topicArn}:sub`,
              Sns: sns,
            },
          ],
        };
        invocations += 1;
        const handler = subscriber === "slack" ? handlers.slackNotifier : handlers.notionLogger;
        try {
          await handler(event);
        } catch {
          await sqs.send(
            new SendMessageCommand({ QueueUrl: dlq[subscriber], MessageBody: invocationRecord(event) }),
          );
        }
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: inbox[subscriber], ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  }

  async function redrive(): Promise<number> {
    const io: CliIo = {
      out: () => undefined,
      err: () => undefined,
      isTTY: false,
      env: { ...moto.env, EVENTS_TOPIC_ARN: topicArn, SLACK_DLQ_URL: dlq.slack, NOTION_DLQ_URL: dlq.notion },
      exitCode: EXIT.OK,
    };
    return main(["node", "drox-backup", "redrive"], io);
  }

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    sqs = new SQSClient({});
    const sns = new SNSClient({});
    topicArn = (await sns.send(new CreateTopicCommand({ Name: "drox-backup-events" }))).TopicArn ?? "";
    for (const subscriber of ["slack", "notion"] as const) {
      const stand = await queue(`${subscriber}-lambda`);
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: stand.arn,
          Attributes: { FilterPolicy: JSON.stringify(subscriberFilterPolicy(subscriber)) },
        }),
      );
      inbox[subscriber] = stand.url;
      dlq[subscriber] = (await queue(`drox-backup-${subscriber}-dlq`)).url;
    }
    slack = await FakeSlack.start();
    notion = await startFakeNotion();
    const db = notion.addDatabase();
    dataSourceId = db.dataSourceId;
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    handlers = createHandlers(
      {
        SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
        SLACK_MAX_ATTEMPTS: "1",
        NOTION_TOKEN: notion.token,
        NOTION_DATABASE_ID: db.databaseId,
        NOTION_API_BASE_URL: notion.url,
        DISPLAY_TIME_ZONE: "Asia/Seoul",
      },
      {
        logger: createLogger({ destination: quiet }),
        notion: {
          requestsPerSecond: 0,
          retry: { maxRetries: 0, initialRetryDelayMs: 1, maxRetryDelayMs: 1 },
        },
      },
    );
  });

  afterEach(async () => {
    await slack.close();
    await notion.close();
  });

  it("must log the page once Notion is back, without posting to Slack a second time", async () => {
    notion.failNext({ status: 503, count: 1000 });
    await new SnsEventPublisher(new SNSClient({}), topicArn).publish(SEED_FAILURE);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [1, 1]);
    assert.equal(slack.messages("main").length, 1);
    assert.equal(notion.pages(dataSourceId).length, 0, "Notion was down");
    const [letter] =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.notion, VisibilityTimeout: 0 }))).Messages ??
      [];

    notion.reset();
    assert.equal(await redrive(), EXIT.OK);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [0, 1]);
    assert.equal(slack.messages("main").length, 1);
    assert.equal(notion.pages(dataSourceId).length, 1);

    // Nothing left: nothing is sent again.
    assert.equal(await redrive(), EXIT.OK);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [0, 0]);

    // The same dead letter twice more (SQS delivers at least once): still one page, since the
    // Notion logger is idempotent on the job id.
    for (let i = 0; i < 2; i++)
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq.notion, MessageBody: letter?.Body ?? "" }));
    assert.equal(await redrive(), EXIT.OK);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [0, 2]);
    assert.equal(slack.messages("main").length, 1);
    assert.equal(notion.pages(dataSourceId).length, 1);
  });

  it("must post the Slack message once Slack is back, without invoking the Notion logger again", async () => {
    slack.disable("main", 404, "no_service");
    await new SnsEventPublisher(new SNSClient({}), topicArn).publish(SEED_FAILURE);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [1, 1]);
    assert.equal(slack.messages("main").length, 0, "Slack was down");
    assert.equal(notion.pages(dataSourceId).length, 1);

    slack.reset();
    assert.equal(await redrive(), EXIT.OK);
    assert.deepEqual([await invoke("slack"), await invoke("notion")], [1, 0]);
    assert.equal(slack.messages("main").length, 1);
    assert.equal(notion.pages(dataSourceId).length, 1);
  });
});
