import assert from "node:assert/strict";
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  DeleteMessageCommand,
} from "@aws-sdk/client-sqs";
import { main } from "../runtime/cli";
import { EXIT, type CliIo } from "../runtime/commands/io";
import { subscriberFilterPolicy, type Subscriber } from "../runtime/ops/routing";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";
import { invocationRecord, schedulerAttributes, schedulerInput, snsEvent } from "./support/dead-letters";
import { useMoto, type Moto } from "./support/moto";

interface Probe {
  readonly url: string;
}

interface Delivered {
  readonly event: unknown;
  readonly redriveTo?: string;
}

describe("redrive against SQS, SNS, Scheduler and ECS (moto)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let sqs: SQSClient;
  let topicArn: string;
  let probes: Record<Subscriber, Probe>;
  let dlq: Record<"slack" | "notion" | "schedules", string>;
  let env: NodeJS.ProcessEnv;
  let clusterArn: string;
  let poisonId: string;

  async function queue(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    return { url: QueueUrl ?? "", arn: attrs.Attributes?.QueueArn ?? "" };
  }

  /** Everything the subscriber's stand-in queue got from the topic, consumed. */
  async function delivered(subscriber: Subscriber): Promise<Delivered[]> {
    const out: Delivered[] = [];
    for (;;) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: probes[subscriber].url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      if (!res.Messages?.length) return out;
      for (const m of res.Messages) {
        const envelope = JSON.parse(m.Body ?? "{}") as {
          Message: string;
          MessageAttributes?: Record<string, { Value: string }>;
        };
        const redriveTo = envelope.MessageAttributes?.redriveTo?.Value;
        out.push({ event: JSON.parse(envelope.Message), ...(redriveTo ? { redriveTo } : {}) });
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: probes[subscriber].url, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  }

  async function depth(url: string): Promise<number> {
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(attrs.Attributes?.ApproximateNumberOfMessages) +
      Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      isTTY: false,
      env,
      exitCode: EXIT.OK,
    };
    const code = await main(["node", "drox-backup", ...args], io);
    return { code, out, err };
  }

  async function tasks(): Promise<{ command: string[]; startedBy?: string }[]> {
    const ecs = new ECSClient({});
    const list = await ecs.send(new ListTasksCommand({ cluster: clusterArn }));
    if (!list.taskArns?.length) return [];
    const described = await ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: list.taskArns }));
    return (described.tasks ?? []).map((t) => ({
      command: t.overrides?.containerOverrides?.[0]?.command ?? [],
      startedBy: t.startedBy,
    }));
  }

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    sqs = new SQSClient({});
    const sns = new SNSClient({});
    topicArn = (await sns.send(new CreateTopicCommand({ Name: "drox-backup-events" }))).TopicArn ?? "";
    probes = {} as Record<Subscriber, Probe>;
    for (const subscriber of ["slack", "notion"] as const) {
      const probe = await queue(`${subscriber}-subscriber`);
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: probe.arn,
          Attributes: { FilterPolicy: JSON.stringify(subscriberFilterPolicy(subscriber)) },
        }),
      );
      probes[subscriber] = { url: probe.url };
    }
    dlq = {
      slack: (await queue("drox-backup-slack-dlq")).url,
      notion: (await queue("drox-backup-notion-dlq")).url,
      schedules: (await queue("drox-backup-dlq")).url,
    };

    // The schedule the Scheduler dead letter names, and the cluster it runs tasks in.
    const ecs = new ECSClient({});
    clusterArn =
      (await ecs.send(new CreateClusterCommand({ clusterName: "drox-backup" }))).cluster?.clusterArn ?? "";
    const taskDef = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "drox-backup-dev",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        containerDefinitions: [
          { name: "drox-backup", image: "drox-backup:test", essential: true, memory: 512 },
        ],
      }),
    );
    const ec2 = new EC2Client({});
    const subnets = await ec2.send(new DescribeSubnetsCommand({}));
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({}));
    const schedule = await new SchedulerClient({}).send(
      new CreateScheduleCommand({
        Name: "drox-backup-ebs",
        ScheduleExpression: "cron(0 2 * * ? *)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: {
          Arn: clusterArn,
          RoleArn: "arn:aws:iam::123456789012:role/drox-backup-role",
          EcsParameters: {
            TaskDefinitionArn: taskDef.taskDefinition?.taskDefinitionArn ?? "",
            LaunchType: "FARGATE",
            TaskCount: 1,
            NetworkConfiguration: {
              awsvpcConfiguration: {
                Subnets: [subnets.Subnets?.[0]?.SubnetId ?? ""],
                SecurityGroups: [groups.SecurityGroups?.[0]?.GroupId ?? ""],
                AssignPublicIp: "DISABLED",
              },
            },
          },
          Input: schedulerInput(["run", "ebs"]),
        },
      }),
    );

    const send = async (url: string, body: string, attributes?: ReturnType<typeof schedulerAttributes>) =>
      (
        await sqs.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }),
        )
      ).MessageId ?? "";
    // Slack: a Lambda on-failure record and a message SNS itself could not deliver.
    await send(dlq.slack, invocationRecord(snsEvent(JSON.stringify(SEED_FAILURE))));
    await send(dlq.slack, JSON.stringify(SEED_REPORT));
    // Notion: an SNS envelope and a poison message.
    await send(
      dlq.notion,
      JSON.stringify({
        Type: "Notification",
        MessageId: "n-1",
        TopicArn: topicArn,
        Message: JSON.stringify(SEED_SUCCESS),
      }),
    );
    poisonId = await send(dlq.notion, JSON.stringify({ ...SEED_SUCCESS, jobId: "poison", status: "DONE" }));
    // Schedules: the daily EBS backup Scheduler could not start.
    await send(
      dlq.schedules,
      schedulerInput(["run", "ebs"]),
      schedulerAttributes({ SCHEDULE_ARN: schedule.ScheduleArn ?? "" }),
    );

    env = {
      ...moto.env,
      EVENTS_TOPIC_ARN: topicArn,
      SLACK_DLQ_URL: dlq.slack,
      NOTION_DLQ_URL: dlq.notion,
      SCHEDULES_DLQ_URL: dlq.schedules,
    };
  });

  it("must send every readable letter again, to the subscriber that failed it, and delete only those", async () => {
    const run = await cli("redrive");
    assert.equal(run.code, EXIT.FAILED, "a message was left: exit 1");

    assert.deepEqual(await delivered("slack"), [
      { event: SEED_FAILURE, redriveTo: "slack" },
      { event: SEED_REPORT, redriveTo: "slack" },
    ]);
    assert.deepEqual(await delivered("notion"), [{ event: SEED_SUCCESS, redriveTo: "notion" }]);
    assert.deepEqual(await tasks(), [{ command: ["run", "ebs"], startedBy: "drox-backup-redrive" }]);

    assert.equal(await depth(dlq.slack), 0);
    assert.equal(await depth(dlq.schedules), 0);
    assert.equal(await depth(dlq.notion), 1, "the poison message stays");
    const visible = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.notion, WaitTimeSeconds: 0 }));
    assert.equal(visible.Messages?.[0]?.MessageId, poisonId, "and is visible again at once");

    const lines = run.out.map((l) => l.replace(/\s+/g, " "));
    assert.equal(lines.length, 6);
    assert.match(
      lines[0]!,
      new RegExp(`^slack republished \\S+ lambda-destination ${SEED_FAILURE.jobId} → \\S+$`),
    );
    assert.match(
      lines[1]!,
      new RegExp(`^slack republished \\S+ sns-message ${SEED_REPORT.reportId} → \\S+$`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^notion republished \\S+ sns-envelope ${SEED_SUCCESS.jobId} → \\S+$`),
    );
    assert.match(
      lines[3]!,
      new RegExp(
        `^notion left: unreadable ${poisonId} → sns-message: invalid backup\\.result\\.v1 event: status`,
      ),
    );
    assert.match(
      lines[4]!,
      /^schedules relaunched \S+ scheduler `run ebs` → arn:aws:ecs:us-east-1:\d+:task\/drox-backup\/\S+$/,
    );
    assert.equal(lines[5], "5 message(s): 4 sent and deleted, 1 left in the queue (named above).");
  });

  it("must change nothing on a repeat run but name the poison message again", async () => {
    await cli("redrive");
    await delivered("slack");
    await delivered("notion");
    const again = await cli("redrive", "--json");
    assert.equal(again.code, EXIT.FAILED);
    const outcomes = JSON.parse(again.out.join("\n")) as { messageId: string; action: string }[];
    assert.deepEqual(
      outcomes.map((o) => [o.messageId, o.action]),
      [[poisonId, "left: unreadable"]],
    );
    assert.deepEqual(await delivered("slack"), []);
    assert.deepEqual(await delivered("notion"), []);
    assert.equal((await tasks()).length, 1, "no second task");
    assert.equal(await depth(dlq.notion), 1);
  });

  it("must only print with --dry-run, and --queue and --max must bound what is read", async () => {
    const dry = await cli("redrive", "--dry-run", "--json");
    assert.equal(dry.code, EXIT.FAILED, "the poison message is still left");
    assert.deepEqual(
      (JSON.parse(dry.out.join("\n")) as { action: string }[]).map((o) => o.action),
      ["would republish", "would republish", "would republish", "left: unreadable", "would relaunch"],
    );
    assert.deepEqual(await delivered("slack"), []);
    assert.deepEqual(await delivered("notion"), []);
    assert.deepEqual(await tasks(), []);
    assert.deepEqual(
      [await depth(dlq.slack), await depth(dlq.notion), await depth(dlq.schedules)],
      [2, 2, 1],
    );

    const one = await cli("redrive", "--queue", "slack", "--max", "1", "--json");
    assert.equal(one.code, EXIT.OK);
    assert.equal((JSON.parse(one.out.join("\n")) as unknown[]).length, 1);
    assert.equal((await delivered("slack")).length, 1);
    assert.equal(await depth(dlq.slack), 1);
  });

  it("must name the variable to set when a queue's URL is missing", async () => {
    delete env.NOTION_DLQ_URL;
    const run = await cli("redrive", "--queue", "notion");
    assert.equal(run.code, EXIT.USAGE);
    assert.deepEqual(run.err, [
      "error: NOTION_DLQ_URL is not set: set it to the stack output notionDlqUrl (the notion dead-letter queue's URL)",
    ]);
    const all = await cli("redrive", "--dry-run");
    assert.deepEqual(all.err, ["NOTION_DLQ_URL is not set: the notion queue is skipped"]);
    assert.ok(!all.out.some((line) => line.startsWith("notion")), "the notion queue was not read");
  });
});
