import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofType, refersTo } from "./lib/references";
import { isRecord, unproxy } from "./lib/values";

interface LambdaFailureDestinationConfig {
  exemptNamePattern?: string;
}

const FUNCTION_TYPE = "aws:lambda/function:Function";
const INVOKE_CONFIG_TYPE = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
// An unknown ARN (a queue created in the same preview) is a destination: only absence fails.
const present = (value: unknown): boolean => typeof value === "string" && value !== "";

function hasDeadLetterQueue(fn: Props): boolean {
  return isRecord(fn.deadLetterConfig) && present(fn.deadLetterConfig.targetArn);
}

function hasOnFailureDestination(config: Props): boolean {
  const destination = isRecord(config.destinationConfig) ? config.destinationConfig.onFailure : undefined;
  return isRecord(destination) && present(destination.destination);
}

export const lambdaFailureDestination: StackValidationPolicy = {
  name: "lambda-failure-destination",
  description:
    "Every Lambda function keeps what it fails to process: a dead-letter queue (deadLetterConfig) or an " +
    "on-failure destination (FunctionEventInvokeConfig), so a notification is never silently lost.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      exemptNamePattern: {
        type: "string",
        description:
          "Regular expression on the function's Pulumi name for functions invoked only synchronously.",
        default: "",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    // Empty (the default) exempts nothing; a RegExp of "" would match every name.
    const exempt = args.getConfig<LambdaFailureDestinationConfig>().exemptNamePattern;
    const exemptRe = exempt ? new RegExp(exempt) : undefined;
    const invokeConfigs = ofType(args.resources, INVOKE_CONFIG_TYPE);
    for (const fn of ofType(args.resources, FUNCTION_TYPE)) {
      if (exemptRe?.test(fn.name) || hasDeadLetterQueue(props(fn))) {
        continue;
      }
      const configs = invokeConfigs.filter((c) => refersTo(c, "functionName", fn));
      if (!configs.some((c) => hasOnFailureDestination(props(c)))) {
        reportViolation(
          `Lambda "${fn.name}" has neither a dead-letter queue nor an on-failure destination, so events it ` +
            "fails to process after its retries are dropped. Set deadLetterConfig: { targetArn: <SQS queue ARN> } " +
            "(the role needs sqs:SendMessage), or add aws.lambda.FunctionEventInvokeConfig with " +
            "destinationConfig.onFailure.destination.",
          fn.urn,
        );
      }
    }
  },
};
