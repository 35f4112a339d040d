import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isUnknownValue, unproxy } from "./lib/values";

export const sqsQueueEncrypted: ResourceValidationPolicy = {
  name: "sqs-queue-encrypted",
  description:
    "SQS queues (the dead-letter queues hold whole notifications) are encrypted at rest: SQS-managed SSE or a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sqs.Queue, (queue, _args, reportViolation) => {
    const raw = unproxy(queue);
    // An unknown key id (a KMS key created in the same preview) is a key: only absence fails.
    const kms = raw.kmsMasterKeyId !== undefined && raw.kmsMasterKeyId !== "";
    // AWS turns SQS-managed SSE on for new queues unless told not to; the policy wants it stated.
    const managed = raw.sqsManagedSseEnabled === true || isUnknownValue(raw.sqsManagedSseEnabled);
    if (!kms && !managed) {
      reportViolation(
        "Set sqsManagedSseEnabled: true on the queue (or kmsMasterKeyId to a KMS key that the senders " +
          "may use), so dead-lettered messages are encrypted at rest.",
      );
    }
  }),
};
