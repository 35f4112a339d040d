/**
 * Offline plan: evaluates the Pulumi program under mocks for a stack's config and prints the
 * resource tree (type, name, the inputs that carry behaviour). No Pulumi CLI, no cloud calls, no
 * credentials; ids, ARNs and URLs are mock values. A way to review a change without an account.
 *
 * Usage: npm run plan -- --stack dev [--json | --inputs]
 * `--inputs` prints every registration's type, name, parent and full inputs as JSON, sorted by URN,
 * so two revisions of the program can be compared with `diff` (a refactor must print the same).
 * Secrets are placeholders unless given as PLAN_<KEY> environment variables (e.g. PLAN_SLACKWEBHOOKURL);
 * secret values are never printed.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../runtime/contract/errors";
import {
  isSecretValue,
  runProgram,
  stackFileConfig,
  type RecordedResource,
} from "../test/support/pulumi-mocks";

const PLACEHOLDERS: Record<string, string> = {
  slackWebhookUrl: "https://hooks.slack.com/services/T00000000/B00000000/offlinePlaceholder",
  notionToken: "secret_offlinePlaceholder",
  apiToken: "offlinePlaceholder",
};

/** Inputs worth reading in a review, per resource type. */
const KEY_INPUTS: Record<string, readonly string[]> = {
  "aws:scheduler/schedule:Schedule": [
    "scheduleExpression",
    "scheduleExpressionTimezone",
    "target.input",
    "target.retryPolicy",
  ],
  "aws:lb/listener:Listener": ["protocol", "port", "sslPolicy", "defaultActions"],
  "aws:lb/targetGroup:TargetGroup": ["port", "protocol", "healthCheck.path"],
  "aws:lambda/function:Function": [
    "runtime",
    "memorySize",
    "timeout",
    "reservedConcurrentExecutions",
    "environment.variables",
  ],
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": [
    "maximumRetryAttempts",
    "maximumEventAgeInSeconds",
  ],
  "aws:sns/topic:Topic": ["kmsMasterKeyId"],
  "aws:sns/topicSubscription:TopicSubscription": ["protocol", "endpoint", "redrivePolicy"],
  "aws:sqs/queue:Queue": ["sqsManagedSseEnabled", "messageRetentionSeconds"],
  "aws:iam/rolePolicy:RolePolicy": ["policy"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn"],
  "aws:ecs/taskDefinition:TaskDefinition": ["family", "cpu", "memory", "containerDefinitions"],
  "aws:ecs/service:Service": ["desiredCount", "launchType", "networkConfiguration"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
    "fromPort",
    "toPort",
    "cidrIpv4",
    "cidrIpv6",
    "referencedSecurityGroupId",
  ],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
    "fromPort",
    "toPort",
    "cidrIpv4",
    "referencedSecurityGroupId",
  ],
  "aws:s3/bucket:Bucket": ["objectLockEnabled"],
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["rules"],
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ["rule"],
  "aws:dynamodb/table:Table": ["hashKey", "rangeKey", "ttl", "pointInTimeRecovery"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["namespace", "metricName", "comparisonOperator", "threshold"],
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": ["pattern", "metricTransformation.namespace"],
  "aws:kms/alias:Alias": ["name"],
  "aws:cloudwatch/logGroup:LogGroup": ["retentionInDays"],
  "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": [
    "slackTeamId",
    "slackChannelId",
    "guardrailPolicyArns",
  ],
  "aws:secretsmanager/secretVersion:SecretVersion": ["secretString"],
  "awsx:ec2:Vpc": ["natGateways"],
  "awsx:ecr:Image": ["context", "dockerfile", "platform"],
};

function at(value: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}

function show(value: unknown): string {
  if (isSecretValue(value)) return "[secret]";
  if (typeof value === "string") {
    // JSON documents (policies, container definitions) read better compact.
    try {
      if (/^[[{]/.test(value)) return JSON.stringify(JSON.parse(value));
    } catch {
      /* not JSON */
    }
    return value;
  }
  return JSON.stringify(value);
}

// A boolean, not a type guard: Archive is structurally empty, so its guard would narrow every
// object out of the branches below.
const isCode = (value: unknown): boolean =>
  pulumi.asset.Archive.isInstance(value) || pulumi.asset.Asset.isInstance(value);

/** Inputs with secrets and code archives replaced by markers, so the JSON is printable and stable. */
function printable(value: unknown): unknown {
  if (isSecretValue(value)) return "[secret]";
  if (isCode(value)) return "[asset]";
  if (Array.isArray(value)) return value.map(printable);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, printable(child)]));
  }
  return value;
}

function describe(r: RecordedResource, indent: string): string[] {
  const lines = [`${indent}${r.type}  ${r.name}`];
  for (const key of KEY_INPUTS[r.type] ?? []) {
    const value = at(r.inputs, key);
    if (value !== undefined) lines.push(`${indent}    ${key} = ${show(value)}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stackIndex = args.indexOf("--stack");
  const stack = stackIndex >= 0 ? args[stackIndex + 1] : "dev";
  if (!stack) throw new Error("usage: npm run plan -- --stack <name>");
  const secrets: Record<string, string> = { ...PLACEHOLDERS };
  for (const key of [
    "slackWebhookUrl",
    "slackAlertsWebhookUrl",
    "slackReportsWebhookUrl",
    "notionToken",
    "apiToken",
  ]) {
    const fromEnv = process.env[`PLAN_${key.toUpperCase()}`];
    if (fromEnv) secrets[key] = fromEnv;
  }
  const run = await runProgram({ stack, config: { ...stackFileConfig(stack), ...secrets } });

  if (args.includes("--inputs")) {
    const full = [...run.resources]
      .sort((a, b) => a.urn.localeCompare(b.urn))
      .map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent,
        inputs: printable(r.inputs),
      }));
    console.log(JSON.stringify({ offline: true, stack, resources: full, outputs: run.outputs }, null, 2));
    return;
  }
  if (args.includes("--json")) {
    const redacted = run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent }));
    console.log(JSON.stringify({ offline: true, stack, resources: redacted, outputs: run.outputs }, null, 2));
    return;
  }
  console.log("=".repeat(100));
  console.log(`OFFLINE PLAN — stack "${stack}" evaluated under Pulumi mocks.`);
  console.log(
    "No cloud calls were made. Ids, ARNs, URLs and subnet ids below are MOCK VALUES; secrets are placeholders.",
  );
  console.log("=".repeat(100));
  for (const log of run.logs) console.log(`[${log.severity}] ${log.message}`);
  console.log("");
  const roots = run.resources.filter((r) => r.parent === undefined);
  for (const root of roots) {
    for (const line of describe(root, "")) console.log(line);
    for (const child of run.resources.filter((r) => r.parent === root.urn)) {
      for (const line of describe(child, "  ")) console.log(line);
    }
  }
  const custom = run.resources.filter((r) => r.custom).length;
  console.log(
    `\n${run.resources.length} resources (${custom} custom, ${run.resources.length - custom} components), evaluated in ${run.elapsedMs.toFixed(0)} ms`,
  );
  console.log("\nOutputs (mock values):");
  for (const [key, value] of Object.entries(run.outputs)) console.log(`  ${key} = ${show(value)}`);
}

main().catch((error: unknown) => {
  // A configuration problem is the user's to fix: print it plainly, without a stack trace.
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
