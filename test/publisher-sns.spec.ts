import assert from "node:assert/strict";
import { SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher, subjectOf } from "../runtime/publishing/sns";
import { ConfigError, ValidationError } from "../runtime/contract/errors";
import { SEED_FAILURE, SEED_SUCCESS, SEED_REPORT } from "./fixtures/events";
import { createTopicWithQueue, drainQueue, type AwsFixture } from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

describe("SNS event publisher", function () {
  this.timeout(120_000);
  let moto: Moto;
  let fixture: AwsFixture;
  let publisher: SnsEventPublisher;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    fixture = await createTopicWithQueue(moto);
    publisher = new SnsEventPublisher(new SNSClient({}), fixture.topicArn);
  });

  it("must deliver the validated event with schema, status and type attributes to a subscribed queue", async () => {
    const id = await publisher.publish(SEED_FAILURE);
    assert.ok(id.length > 0);
    const [message, ...rest] = await drainQueue(fixture);
    assert.equal(rest.length, 0);
    assert.deepEqual(JSON.parse(message!.Message), SEED_FAILURE);
    assert.deepEqual(message!.MessageAttributes, {
      schema: { Type: "String", Value: "backup.result.v1" },
      status: { Type: "String", Value: "FAILED" },
      type: { Type: "String", Value: "RDS" },
    });
    assert.equal(message!.Subject, "drox-backup RDS FAILED: db-instance-1");
  });

  it("must give a report only the schema attribute and an ASCII subject", async () => {
    await publisher.publish(SEED_REPORT);
    const [message] = await drainQueue(fixture);
    assert.deepEqual(Object.keys(message!.MessageAttributes ?? {}), ["schema"]);
    assert.match(message!.Subject ?? "", /^[\x20-\x7e]{1,99}$/);
  });

  it("must refuse an invalid event without publishing anything", async () => {
    await assert.rejects(publisher.publish({ ...SEED_SUCCESS, status: "FAILED" }), ValidationError);
    assert.deepEqual(await drainQueue(fixture), []);
  });

  it("must keep subjects under SNS's 100 ASCII characters", () => {
    const subject = subjectOf({ ...SEED_SUCCESS, resource: `버킷-${"x".repeat(200)}` });
    assert.ok(subject.length < 100);
    assert.match(subject, /^[\x20-\x7e]+$/);
  });

  it("must need a topic ARN", () => {
    assert.throws(() => new SnsEventPublisher(new SNSClient({}), ""), ConfigError);
  });
});
