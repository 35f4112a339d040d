import * as aws from "@pulumi/aws";
import {
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import {
  archiveTexts,
  compilePatterns,
  DEFAULT_SECRET_PATTERNS,
  findSecrets,
  SecretMatch,
} from "./lib/secret-patterns";
import { booleanOr, collectStrings, isRecord, unproxy } from "./lib/values";

interface NoPlaintextSecretsConfig {
  patterns?: Record<string, string>;
  scanLambdaCode?: boolean;
}

const FIX =
  "Put the value in AWS Secrets Manager and pass only the secret's ARN (e.g. SLACK_WEBHOOK_SECRET_ARN, " +
  "NOTION_TOKEN_SECRET_ARN), or use ECS `secrets`; the code reads the value at run time.";

function patterns(args: ResourceValidationArgs): [string, RegExp][] {
  const config = args.getConfig<NoPlaintextSecretsConfig>();
  const configured = isRecord(config.patterns) ? (config.patterns as Record<string, string>) : undefined;
  return compilePatterns(configured ?? DEFAULT_SECRET_PATTERNS);
}

function reportAll(matches: SecretMatch[], where: string, reportViolation: ReportViolation): void {
  for (const { kind, path } of matches) {
    reportViolation(`${where} \`${path}\` holds a ${kind} in plain text. ${FIX}`);
  }
}

// Tags are readable by anyone with tag:GetResources, whatever the resource.
const tagsOfAnyResource: ResourceValidation = (args, reportViolation) => {
  const props = unproxy(args.props);
  reportAll(findSecrets(collectStrings(props.tags, "tags"), patterns(args)), "Tag", reportViolation);
};

const lambdaFunction = validateResourceOfType(aws.lambda.Function, async (fn, args, reportViolation) => {
  const raw = unproxy(fn);
  const re = patterns(args);
  reportAll(
    findSecrets(collectStrings(raw.environment?.variables, "environment.variables"), re),
    "Lambda environment variable",
    reportViolation,
  );
  if (booleanOr(args.getConfig<NoPlaintextSecretsConfig>().scanLambdaCode, true)) {
    // A secret captured by a CallbackFunction's closure is serialized into its code
    // (pulumi/pulumi-aws#1524): capture the ARN and read the value at cold start instead.
    reportAll(findSecrets(await archiveTexts(raw.code, "code:"), re), "Lambda code", reportViolation);
  }
});

const ecsTaskDefinition = validateResourceOfType(aws.ecs.TaskDefinition, (task, args, reportViolation) => {
  const definitions = unproxy(task).containerDefinitions;
  let parsed: unknown;
  try {
    parsed = JSON.parse(definitions);
  } catch {
    // Unknown at preview (it embeds the image and ARNs) or not JSON at all: the provider rejects
    // the latter, and `pulumi up` runs this policy again on the resolved definitions. Left
    // undefined, it holds no strings.
  }
  reportAll(
    findSecrets(collectStrings(parsed, "containerDefinitions"), patterns(args)),
    "ECS container definition",
    reportViolation,
  );
});

export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description:
    "No Slack webhook URL, Slack token or Notion token in plain text in a Lambda's environment or code, " +
    "an ECS container definition, or any resource's tags.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      patterns: {
        type: "object",
        description: "Secret kinds and the regular expressions that recognise them.",
        additionalProperties: { type: "string" },
        default: { ...DEFAULT_SECRET_PATTERNS },
      },
      scanLambdaCode: {
        type: "boolean",
        description: "Scan the text assets of Lambda code archives (a CallbackFunction's closure).",
        default: true,
      },
    },
  },
  validateResource: [tagsOfAnyResource, lambdaFunction, ecsTaskDefinition],
};
