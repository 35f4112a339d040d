import assert from "node:assert/strict";
import { readDeadLetter } from "../runtime/ops/dead-letters";
import { pinScheduledDate } from "../runtime/ops/redrive";
import { scheduleNameOf } from "../runtime/ops/relaunch";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";
import {
  invocationRecord,
  SCHEDULE,
  schedulerAttributes,
  schedulerInput as input,
  snsEvent,
  TOPIC,
} from "./support/dead-letters";

describe("redrive: reading dead letters", () => {
  it("must read an SNS subscription dead letter that is the raw published message", () => {
    assert.deepEqual(readDeadLetter(JSON.stringify(SEED_SUCCESS)), {
      kind: "events",
      shape: "sns-message",
      events: [SEED_SUCCESS],
    });
  });

  it("must read an SNS subscription dead letter wrapped in the SNS envelope", () => {
    const envelope = {
      Type: "Notification",
      MessageId: "x",
      TopicArn: TOPIC,
      Message: JSON.stringify(SEED_FAILURE),
    };
    assert.deepEqual(readDeadLetter(JSON.stringify(envelope)), {
      kind: "events",
      shape: "sns-envelope",
      events: [SEED_FAILURE],
    });
  });

  it("must take every requestPayload.Records[].Sns.Message of a Lambda on-failure record", () => {
    const body = invocationRecord(snsEvent(JSON.stringify(SEED_FAILURE), JSON.stringify(SEED_REPORT)));
    assert.deepEqual(readDeadLetter(body), {
      kind: "events",
      shape: "lambda-destination",
      events: [SEED_FAILURE, SEED_REPORT],
    });
  });

  it("must read a Scheduler dead letter as the job its input starts, with the schedule and the error", () => {
    assert.deepEqual(readDeadLetter(input(["run", "ebs"]), schedulerAttributes()), {
      kind: "job",
      shape: "scheduler",
      job: {
        command: ["run", "ebs"],
        overrides: { containerOverrides: [{ name: "drox-backup", command: ["run", "ebs"] }] },
        scheduleArn: SCHEDULE,
        scheduledTime: "2024-11-03T00:00:00Z",
        error: "ECS.ThrottlingException: Rate exceeded",
      },
    });
  });

  it("must call unreadable, with the reason, what it cannot send again as it was", () => {
    const cases: [string | undefined, Record<string, { StringValue: string }>, RegExp][] = [
      ["not json {", {}, /^the body is not JSON$/],
      [JSON.stringify({ hello: "world" }), {}, /^neither a drox event/],
      [
        JSON.stringify({ ...SEED_SUCCESS, status: "DONE" }),
        {},
        /^sns-message: invalid backup\.result\.v1 event: status/,
      ],
      [
        invocationRecord({ source: "aws.events" }),
        {},
        /^lambda-destination: the record carries no SNS request payload$/,
      ],
      [invocationRecord(snsEvent("{")), {}, /^lambda-destination: message 1 is not JSON$/],
      [input(["run", "ebs"]), schedulerAttributes({ IS_PAYLOAD_TRUNCATED: "true" }), /truncated the payload/],
      [
        JSON.stringify({ containerOverrides: [{ name: "x" }] }),
        schedulerAttributes(),
        /no containerOverrides\[\]\.command/,
      ],
      [undefined, schedulerAttributes(), /^scheduler: the input is not JSON$/],
    ];
    for (const [body, attributes, reason] of cases) {
      const letter = readDeadLetter(body, attributes);
      assert.equal(letter.kind, "unreadable", String(body));
      assert.match(letter.kind === "unreadable" ? letter.reason : "", reason);
    }
  });

  it("must pin a re-run weekly report to the date its schedule fired, in the display zone", () => {
    const letter = readDeadLetter(
      input(["report", "weekly"]),
      schedulerAttributes({ SCHEDULED_TIME: "2024-11-09T16:00:00Z" }),
    );
    assert.equal(letter.kind, "job");
    if (letter.kind !== "job") return;
    const pinned = pinScheduledDate(letter.job, "Asia/Seoul");
    assert.deepEqual(pinned.command, ["report", "weekly", "--week", "2024-11-10"]);
    assert.deepEqual(pinned.overrides, {
      containerOverrides: [{ name: "drox-backup", command: ["report", "weekly", "--week", "2024-11-10"] }],
    });
    const ebs = readDeadLetter(input(["run", "ebs"]), schedulerAttributes());
    if (ebs.kind === "job") assert.deepEqual(pinScheduledDate(ebs.job, "Asia/Seoul").command, ["run", "ebs"]);
  });

  it("must find the schedule's group and name in its ARN and refuse anything else", () => {
    assert.deepEqual(scheduleNameOf(SCHEDULE), { group: "default", name: "drox-backup-ebs" });
    assert.throws(
      () => scheduleNameOf("arn:aws:sqs:ap-northeast-2:123456789012:q"),
      /not an EventBridge Scheduler schedule ARN/,
    );
  });
});
