import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { sqsQueueEncrypted } from "../policy/sqs-queue-encrypted";
import { change, fixture, rawFixture, runResourcePolicy } from "./support/policy-harness";

/** The engine's placeholder for a boolean not known at preview (@pulumi/policy proxy.js unknownBooleanValue). */
const UNKNOWN_BOOLEAN = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";

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

  it("must report an empty key id with SSE off, and tell both ways to encrypt", async () => {
    const empty = fixture(aws.sqs.Queue, "dlq", { kmsMasterKeyId: "", sqsManagedSseEnabled: false });
    assert.deepEqual(
      (await runResourcePolicy(sqsQueueEncrypted, empty)).violations.map((v) => v.message),
      [
        "Set sqsManagedSseEnabled: true on the queue (or kmsMasterKeyId to a KMS key that the senders may use), " +
          "so dead-lettered messages are encrypted at rest.",
      ],
    );
  });

  it("must pass SQS-managed SSE unknown at preview", async () => {
    const unknown = rawFixture(managed.type, "dlq", { sqsManagedSseEnabled: UNKNOWN_BOOLEAN });
    const outcome = await runResourcePolicy(sqsQueueEncrypted, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });
});
