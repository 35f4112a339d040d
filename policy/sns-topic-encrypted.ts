import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { unproxy } from "./lib/values";

export const snsTopicEncrypted: ResourceValidationPolicy = {
  name: "sns-topic-encrypted",
  description: "SNS topics are encrypted at rest with a KMS key (kmsMasterKeyId).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sns.Topic, (topic, _args, reportViolation) => {
    // An unknown key id (a KMS key created in the same preview) is a key: only absence fails.
    const keyId = unproxy(topic).kmsMasterKeyId;
    if (keyId === undefined || keyId === "") {
      reportViolation(
        'Set kmsMasterKeyId on the topic: "alias/aws/sns" for the AWS-managed key, or a customer-managed ' +
          "key whose policy lets the publishing services (CloudWatch alarms, EventBridge) use it.",
      );
    }
  }),
};
