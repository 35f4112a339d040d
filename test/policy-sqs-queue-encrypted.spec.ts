import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { sqsQueueEncrypted } from "../policy/sqs-queue-encrypted";
import { change, fixture, runResourcePolicy } from "./support/policy-harness";

describe("policy sqs-queue-encrypted", () => {
  const managed = fixture(aws.sqs.Queue, "slack-dlq", { sqsManagedSseEnabled: true });
  const kms = fixture(aws.sqs.Queue, "notion-dlq", { kmsMasterKeyId: "alias/drox" });

  it("must pass SQS-managed SSE and a KMS key", async () => {
    assert.deepEqual((await runResourcePolicy(sqsQueueEncrypted, managed)).violations, []);
    assert.deepEqual((await runResourcePolicy(sqsQueueEncrypted, kms)).violations, []);
  });

  it("must report a queue with SSE turned off and no key", async () => {
    const off = change(managed, (p) => {
      p.sqsManagedSseEnabled = false;
    });
    const outcome = await runResourcePolicy(sqsQueueEncrypted, off);
    assert.equal(outcome.violations.length, 1);
    assert.match(outcome.violations[0]!.message, /Set sqsManagedSseEnabled: true/);
  });

  it("must report a queue that does not state any encryption", async () => {
    const unstated = fixture(aws.sqs.Queue, "dlq", { messageRetentionSeconds: 1209600 });
    assert.equal((await runResourcePolicy(sqsQueueEncrypted, unstated)).violations.length, 1);
  });
});
