import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isUnknownValue, stringList, unproxy } from "./lib/values";

interface ChatbotGuardrailsConfig {
  forbiddenPolicies?: string[];
}

const DEFAULT_FORBIDDEN_POLICIES = ["AdministratorAccess"];

export const chatbotGuardrails: ResourceValidationPolicy = {
  name: "chatbot-guardrails",
  description:
    "An AWS Chatbot Slack channel has guardrail policies, and none of them is AdministratorAccess (Chatbot's " +
    "default when none are given), so nobody in the channel can run arbitrary AWS commands.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      forbiddenPolicies: {
        type: "array",
        items: { type: "string" },
        description: "Policy names (last segment of the ARN) that must not be a guardrail.",
        default: DEFAULT_FORBIDDEN_POLICIES,
      },
    },
  },
  validateResource: validateResourceOfType(
    aws.chatbot.SlackChannelConfiguration,
    (channel, args, reportViolation) => {
      const forbidden = stringList(
        args.getConfig<ChatbotGuardrailsConfig>().forbiddenPolicies,
        DEFAULT_FORBIDDEN_POLICIES,
      );
      const guardrails: unknown = unproxy(channel).guardrailPolicyArns;
      if (isUnknownValue(guardrails)) {
        return;
      }
      const fix =
        'Set guardrailPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] (or a narrower policy such as ' +
        "CloudWatchReadOnlyAccess).";
      if (!Array.isArray(guardrails) || guardrails.length === 0) {
        reportViolation(
          `The channel has no guardrail policies, so Chatbot applies AdministratorAccess. ${fix}`,
        );
        return;
      }
      for (const arn of guardrails) {
        // The policy's name is the ARN's last segment (arn:aws:iam::aws:policy/<path>/<name>).
        if (typeof arn === "string" && forbidden.includes(arn.slice(arn.lastIndexOf("/") + 1))) {
          reportViolation(`Guardrail ${String(arn)} lets channel members run any AWS command. ${fix}`);
        }
      }
    },
  ),
};
