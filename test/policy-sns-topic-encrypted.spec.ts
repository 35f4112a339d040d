import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { snsTopicEncrypted } from "../policy/sns-topic-encrypted";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

describe("policy sns-topic-encrypted", () => {
  const topic = fixture(aws.sns.Topic, "events", { kmsMasterKeyId: "alias/aws/sns" });

  it("must pass a topic with a KMS key, also one whose key id is unknown at preview", async () => {
    assert.deepEqual((await runResourcePolicy(snsTopicEncrypted, topic)).violations, []);
    const unknown = change(topic, (p) => {
      p.kmsMasterKeyId = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(snsTopicEncrypted, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must report a topic without kmsMasterKeyId as mandatory", async () => {
    const plain = change(topic, (p) => {
      delete p.kmsMasterKeyId;
    });
    const outcome = await runResourcePolicy(snsTopicEncrypted, plain);
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.match(outcome.violations[0]!.message, /Set kmsMasterKeyId on the topic: "alias\/aws\/sns"/);
  });

  it("must report an empty key id, and tell which key to use", async () => {
    const empty = change(topic, (p) => {
      p.kmsMasterKeyId = "";
    });
    assert.deepEqual(
      (await runResourcePolicy(snsTopicEncrypted, empty)).violations.map((v) => v.message),
      [
        'Set kmsMasterKeyId on the topic: "alias/aws/sns" for the AWS-managed key, or a customer-managed key ' +
          "whose policy lets the publishing services (CloudWatch alarms, EventBridge) use it.",
      ],
    );
  });
});
