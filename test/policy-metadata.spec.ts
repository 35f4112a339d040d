/**
 * What the Pulumi engine reads from each policy before running it: the name (the config key of
 * policy/config.<stack>.json), the enforcement level, and the config schema whose defaults apply
 * when a stack sets nothing. The expected values are the README's policy table and the house style
 * (kebab-case name equal to the file name), not the policies' own constants.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type Policy = ResourceValidationPolicy | StackValidationPolicy;
interface Property {
  type?: string;
  default?: unknown;
  description?: string;
  items?: { type?: string };
}

const POLICY_DIR = path.join(__dirname, "..", "policy");

/** The README's table: config keys with their JSON type, and the documented default where it gives one. */
const DOCUMENTED: Record<string, Record<string, { type: string; items?: string; default?: unknown }>> = {
  "alb-listener-https": {},
  "backup-bucket-protected": {
    // "empty checks every bucket" (the key's description): no stack setting means every bucket.
    bucketNamePattern: { type: "string", default: "" },
    requireKms: { type: "boolean", default: false },
  },
  "chatbot-guardrails": {
    forbiddenPolicies: { type: "array", items: "string", default: ["AdministratorAccess"] },
  },
  "ecs-service-network-restricted": {
    allowPublicIp: { type: "boolean", default: false },
    allowedPublicPorts: { type: "array", items: "integer", default: [] },
  },
  "drill-deletes-scoped": {},
  "iam-role-least-privilege": { forbiddenManagedPolicyPattern: { type: "string" } },
  "lambda-failure-destination": { exemptNamePattern: { type: "string", default: "" } },
  "lambda-supported-runtime": {
    minimumNodejsVersion: { type: "integer", default: 20 },
    allowedOtherRuntimes: { type: "array", items: "string", default: [] },
  },
  "log-group-retention": {
    minimumRetentionDays: { type: "integer", default: 7 },
    maximumRetentionDays: { type: "integer", default: 731 },
  },
  "no-plaintext-secrets": {
    patterns: { type: "object" },
    scanLambdaCode: { type: "boolean", default: true },
  },
  "required-tags": {
    requiredTags: { type: "array", items: "string", default: ["project", "environment", "owner"] },
    exemptTypes: { type: "array", items: "string", default: [] },
  },
  "schedule-retry-and-dlq": { minimumRetryAttempts: { type: "integer", default: 1 } },
  "secrets-not-in-environment": {
    secretNames: { type: "array", items: "string" },
    secretNamePattern: { type: "string" },
  },
  "sns-topic-encrypted": {},
  "sqs-queue-encrypted": {},
};

/**
 * What `pulumi preview` and the Pulumi Cloud console show a user for each policy and config key:
 * the description must name what docs/policy-pack.md says the policy checks ("checks" column) and
 * what each key holds. Phrases, not whole sentences, so the prose can be reworded.
 */
const DESCRIBED: Record<string, { policy: string[]; keys?: Record<string, string[]> }> = {
  "alb-listener-https": { policy: ["serve HTTPS", "only redirect to HTTPS", '"advisory" (dev)'] },
  "backup-bucket-protected": {
    policy: ["keeps versions", "encrypted at rest", "blocks public access", "with a lifecycle rule"],
    keys: {
      bucketNamePattern: ["Regular expression", "Pulumi name", "empty checks every bucket"],
      requireKms: ["SSE-KMS", "aws:kms:dsse"],
    },
  },
  "chatbot-guardrails": {
    policy: ["guardrail policies", "AdministratorAccess", "run arbitrary AWS commands"],
    keys: { forbiddenPolicies: ["last segment of the ARN", "guardrail"] },
  },
  "drill-deletes-scoped": {
    policy: ["EBS volumes and RDS DB instances", "tagged drox-backup:drill", "named drox-drill-*"],
  },
  "ecs-service-network-restricted": {
    policy: ["no public IP", "open nothing to the world", "listeners' TCP ports"],
    keys: {
      allowPublicIp: ["assignPublicIp"],
      allowedPublicPorts: ["open to the world", "listeners' ports"],
    },
  },
  "iam-role-least-privilege": {
    policy: [
      "ECS task and execution, scheduler, Lambda, Chatbot",
      "*FullAccess, AdministratorAccess or PowerUserAccess",
      '<service>:* on "Resource": "*"',
      "not grants",
    ],
    keys: { forbiddenManagedPolicyPattern: ["Regular expression", "policy ARNs"] },
  },
  "lambda-failure-destination": {
    policy: ["dead-letter queue", "on-failure destination", "never silently lost"],
    keys: { exemptNamePattern: ["Regular expression", "Pulumi name", "only synchronously"] },
  },
  "lambda-supported-runtime": {
    policy: ["Node.js at or above", "security patches"],
    keys: { minimumNodejsVersion: ["nodejsNN.x"], allowedOtherRuntimes: ["Non-Node.js runtimes"] },
  },
  "log-group-retention": {
    policy: ["retentionInDays is set", "forever"],
    keys: { minimumRetentionDays: ["Shortest retention"], maximumRetentionDays: ["Longest retention"] },
  },
  "no-plaintext-secrets": {
    policy: ["Slack webhook URL, Slack token or Notion token", "ECS container definition", "tags"],
    keys: { patterns: ["regular expressions"], scanLambdaCode: ["Lambda code archives"] },
  },
  "required-tags": {
    policy: ["project, environment and owner", "defaultTags", "traced to a team"],
    keys: { requiredTags: ["Tag keys", "non-empty value"], exemptTypes: ["type tokens"] },
  },
  "schedule-retry-and-dlq": {
    policy: ["retry a failed invocation", "dead-letter queue", "missed backup run is visible"],
    keys: { minimumRetryAttempts: ["retries"] },
  },
  "secrets-not-in-environment": {
    policy: ["through `secrets`", "never as plain environment variables"],
    keys: { secretNames: ["always carry a secret"], secretNamePattern: ["Regular expression"] },
  },
  "sns-topic-encrypted": { policy: ["encrypted at rest", "kmsMasterKeyId"] },
  "sqs-queue-encrypted": { policy: ["encrypted at rest", "SQS-managed SSE or a KMS key"] },
};

function loadPolicies(): Map<string, Policy> {
  const policies = new Map<string, Policy>();
  for (const file of fs.readdirSync(POLICY_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = Object.values(require(path.join(POLICY_DIR, file)) as Record<string, Policy>);
    assert.equal(exported.length, 1, `${file} exports one policy`);
    policies.set(path.basename(file, ".ts"), exported[0]!);
  }
  return policies;
}

function properties(policy: Policy): Record<string, Property> {
  return (policy.configSchema?.properties ?? {}) as Record<string, Property>;
}

describe("policy metadata (what the engine reads)", () => {
  const policies = loadPolicies();

  it("must name every policy after its file, mandatory by default, as the README lists them", () => {
    assert.deepEqual([...policies.keys()].sort(), Object.keys(DOCUMENTED).sort());
    for (const [file, policy] of policies) {
      assert.equal(policy.name, file);
      assert.equal(policy.enforcementLevel, "mandatory", file);
      assert.ok((policy.description ?? "").length > 20, `${file} has a description`);
    }
  });

  it("must declare exactly the documented config keys, typed, described, with the documented defaults", () => {
    for (const [file, documented] of Object.entries(DOCUMENTED)) {
      const declared = properties(policies.get(file)!);
      assert.deepEqual(Object.keys(declared).sort(), Object.keys(documented).sort(), file);
      for (const [key, expected] of Object.entries(documented)) {
        const property = declared[key]!;
        assert.equal(property.type, expected.type, `${file}.${key} type`);
        assert.equal(property.items?.type, expected.items, `${file}.${key} items`);
        assert.ok((property.description ?? "").length > 10, `${file}.${key} description`);
        if ("default" in expected)
          assert.deepEqual(property.default, expected.default, `${file}.${key} default`);
      }
    }
  });

  it("must describe what each policy checks and what each config key holds", () => {
    assert.deepEqual(Object.keys(DESCRIBED).sort(), [...policies.keys()].sort());
    for (const [file, described] of Object.entries(DESCRIBED)) {
      const policy = policies.get(file)!;
      for (const phrase of described.policy) {
        assert.ok(policy.description?.includes(phrase), `${file}: "${phrase}" in "${policy.description}"`);
      }
      const declared = properties(policy);
      assert.deepEqual(Object.keys(described.keys ?? {}).sort(), Object.keys(declared).sort(), file);
      for (const [key, phrases] of Object.entries(described.keys ?? {})) {
        const text = declared[key]!.description ?? "";
        for (const phrase of phrases)
          assert.ok(text.includes(phrase), `${file}.${key}: "${phrase}" in "${text}"`);
      }
    }
  });

  it("must take secret patterns as named regular expressions, by default the three kinds the docs list", () => {
    const patterns = properties(policies.get("no-plaintext-secrets")!).patterns as Property & {
      additionalProperties?: unknown;
    };
    assert.deepEqual(patterns.additionalProperties, { type: "string" });
    assert.deepEqual(Object.keys(patterns.default as Record<string, string>).sort(), [
      "Notion integration token",
      "Slack token",
      "Slack webhook URL",
    ]);
  });

  it("must accept every setting the stacks' policy config files make", () => {
    for (const stack of ["dev", "prod"]) {
      const config = JSON.parse(
        fs.readFileSync(path.join(POLICY_DIR, `config.${stack}.json`), "utf8"),
      ) as Record<string, unknown>;
      for (const [name, value] of Object.entries(config)) {
        assert.ok(policies.has(name), `${stack}: ${name} is a policy`);
        if (typeof value === "string") {
          assert.ok(["advisory", "mandatory", "disabled"].includes(value), `${stack}: ${name} level`);
          continue;
        }
        for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
          if (key === "enforcementLevel") continue;
          const property = properties(policies.get(name)!)[key];
          assert.ok(property, `${stack}: ${name}.${key} is declared`);
          const type = Array.isArray(setting) ? "array" : typeof setting;
          assert.equal(type, property.type, `${stack}: ${name}.${key}`);
        }
      }
    }
  });

  it("must forbid the managed policies and secret names the README names, by default", () => {
    const forbidden = new RegExp(
      String(properties(policies.get("iam-role-least-privilege")!).forbiddenManagedPolicyPattern!.default),
    );
    assert.ok(forbidden.test("arn:aws:iam::aws:policy/AmazonS3FullAccess"));
    assert.ok(forbidden.test("arn:aws:iam::aws:policy/AdministratorAccess"));
    assert.ok(!forbidden.test("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"));
    const secret = properties(policies.get("secrets-not-in-environment")!);
    for (const name of ["SLACK_WEBHOOK_URL", "NOTION_TOKEN", "API_TOKEN"]) {
      assert.ok((secret.secretNames!.default as string[]).includes(name), name);
    }
    const pattern = new RegExp(String(secret.secretNamePattern!.default));
    assert.ok(["GITHUB_TOKEN", "DB_PASSWORD", "X_API_KEY", "CLIENT_SECRET"].every((n) => pattern.test(n)));
    assert.ok(!["NOTION_DATABASE_ID", "SLACK_WEBHOOK_SECRET_ARN", "AWS_REGION"].some((n) => pattern.test(n)));
  });
});
