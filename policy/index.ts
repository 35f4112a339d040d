import { PolicyPack } from "@pulumi/policy";
import { albListenerHttps } from "./alb-listener-https";
import { backupBucketProtected } from "./backup-bucket-protected";
import { chatbotGuardrails } from "./chatbot-guardrails";
import { drillDeletesScoped } from "./drill-deletes-scoped";
import { ecsServiceNetworkRestricted } from "./ecs-service-network-restricted";
import { lambdaFailureDestination } from "./lambda-failure-destination";
import { iamRoleLeastPrivilege } from "./iam-role-least-privilege";
import { lambdaSupportedRuntime } from "./lambda-supported-runtime";
import { logGroupRetention } from "./log-group-retention";
import { noPlaintextSecrets } from "./no-plaintext-secrets";
import { requiredTags } from "./required-tags";
import { scheduleRetryAndDlq } from "./schedule-retry-and-dlq";
import { secretsNotInEnvironment } from "./secrets-not-in-environment";
import { snsTopicEncrypted } from "./sns-topic-encrypted";
import { sqsQueueEncrypted } from "./sqs-queue-encrypted";

new PolicyPack("drox-backup-guardrails", {
  description: "Security and reliability guardrails of the drox-backup stacks.",
  enforcementLevel: "mandatory",
  policies: [
    noPlaintextSecrets,
    secretsNotInEnvironment,
    backupBucketProtected,
    snsTopicEncrypted,
    sqsQueueEncrypted,
    lambdaSupportedRuntime,
    lambdaFailureDestination,
    iamRoleLeastPrivilege,
    drillDeletesScoped,
    logGroupRetention,
    albListenerHttps,
    ecsServiceNetworkRestricted,
    scheduleRetryAndDlq,
    chatbotGuardrails,
    requiredTags,
  ],
});
