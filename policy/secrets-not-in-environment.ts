import * as aws from "@pulumi/aws";
import { ResourceValidationArgs, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isRecord, stringList, unproxy } from "./lib/values";

interface SecretsNotInEnvironmentConfig {
  secretNames?: string[];
  secretNamePattern?: string;
}

// The secret settings' variables (runtime/settings/declaration.ts), named even when a stack
// narrows secretNamePattern.
const DEFAULT_SECRET_NAMES = [
  "SLACK_WEBHOOK_URL",
  "SLACK_ALERTS_WEBHOOK_URL",
  "SLACK_REPORTS_WEBHOOK_URL",
  "SLACK_BOT_TOKEN",
  "NOTION_TOKEN",
  "API_TOKEN",
];
// `*_SECRET_ARN` ends in ARN and so passes: an ARN is the way a secret is meant to be handed over.
const DEFAULT_SECRET_NAME_PATTERN = "(?:TOKEN|PASSWORD|WEBHOOK_URL|API_KEY|SECRET)$";

function isSecretName(args: ResourceValidationArgs): (name: string) => boolean {
  const config = args.getConfig<SecretsNotInEnvironmentConfig>();
  const names = new Set(stringList(config.secretNames, DEFAULT_SECRET_NAMES));
  const pattern = new RegExp(config.secretNamePattern ?? DEFAULT_SECRET_NAME_PATTERN);
  return (name) => names.has(name) || pattern.test(name);
}

const ecsTaskDefinition = validateResourceOfType(aws.ecs.TaskDefinition, (task, args, reportViolation) => {
  let containers: unknown;
  try {
    containers = JSON.parse(unproxy(task).containerDefinitions);
  } catch {
    // Unknown at preview (it embeds the image and ARNs): `pulumi up` checks the resolved value.
    // Left undefined, it is not a list either, which the provider rejects: nothing to judge.
  }
  if (!Array.isArray(containers)) {
    return;
  }
  const secretName = isSecretName(args);
  for (const container of containers) {
    if (!isRecord(container) || !Array.isArray(container.environment)) {
      continue;
    }
    for (const variable of container.environment) {
      const name = isRecord(variable) ? variable.name : undefined;
      if (typeof name === "string" && secretName(name)) {
        reportViolation(
          `Container "${String(container.name)}" sets ${name} in \`environment\`, which is plain text in ` +
            `the task definition. Move it to \`secrets\`: { name: "${name}", valueFrom: <Secrets Manager ARN> }.`,
        );
      }
    }
  }
});

const lambdaFunction = validateResourceOfType(aws.lambda.Function, (fn, args, reportViolation) => {
  const variables = unproxy(fn).environment?.variables;
  if (!isRecord(variables)) {
    return;
  }
  const secretName = isSecretName(args);
  for (const name of Object.keys(variables).filter(secretName)) {
    reportViolation(
      `Lambda environment variable ${name} carries a secret, and Lambda environment variables are plain ` +
        `text in the function's configuration. Pass ${name}_SECRET_ARN (the Secrets Manager ARN) instead; ` +
        "the handler reads the value at cold start.",
    );
  }
});

export const secretsNotInEnvironment: ResourceValidationPolicy = {
  name: "secrets-not-in-environment",
  description:
    "Secrets (webhook URLs, tokens) reach ECS containers through `secrets` and Lambdas as Secrets Manager ARNs, " +
    "never as plain environment variables.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      secretNames: {
        type: "array",
        items: { type: "string" },
        description: "Environment variable names that always carry a secret.",
        default: DEFAULT_SECRET_NAMES,
      },
      secretNamePattern: {
        type: "string",
        description: "Regular expression for further secret-looking names.",
        default: DEFAULT_SECRET_NAME_PATTERN,
      },
    },
  },
  validateResource: [ecsTaskDefinition, lambdaFunction],
};
