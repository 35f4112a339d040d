import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { noPlaintextSecrets } from "../policy/no-plaintext-secrets";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const WEBHOOK = "https://hooks.slack.com/services/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";
const NOTION = `ntn_${"Sentinel7".repeat(6)}`;
const SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:drox-slack-webhook-AbCdEf";

function lambda(code: string, variables: Record<string, string> = {}) {
  return fixture(aws.lambda.Function, "slack-notifier", {
    role: "arn:aws:iam::123456789012:role/slack-notifier",
    runtime: "nodejs22.x",
    code: new pulumi.asset.AssetArchive({ "__index.js": new pulumi.asset.StringAsset(code) }),
    environment: {
      variables: { SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN, DISPLAY_TIME_ZONE: "Asia/Seoul", ...variables },
    },
    tags: { project: "drox-backup", environment: "dev", owner: "devops" },
  });
}

const COMPLIANT_CODE = "exports.handler = async () => readSecret(process.env.SLACK_WEBHOOK_SECRET_ARN);";

const task = fixture(aws.ecs.TaskDefinition, "api-task", {
  family: "drox-api",
  containerDefinitions: JSON.stringify([
    {
      name: "api",
      image: "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/drox:latest",
      environment: [{ name: "DISPLAY_TIME_ZONE", value: "Asia/Seoul" }],
      secrets: [{ name: "SLACK_WEBHOOK_URL", valueFrom: SECRET_ARN }],
    },
  ]),
});

describe("policy no-plaintext-secrets", () => {
  it("must pass a Lambda that gets secrets as ARNs and an ECS task that gets them through `secrets`", async () => {
    assert.deepEqual((await runResourcePolicy(noPlaintextSecrets, lambda(COMPLIANT_CODE))).violations, []);
    assert.deepEqual((await runResourcePolicy(noPlaintextSecrets, task)).violations, []);
  });

  it("must report a Slack webhook URL in a Lambda's environment as mandatory, without printing it", async () => {
    const outcome = await runResourcePolicy(noPlaintextSecrets, lambda(COMPLIANT_CODE, { HOOK: WEBHOOK }));
    assert.equal(outcome.violations.length, 1);
    const [violation] = outcome.violations;
    assert.equal(violation!.enforcementLevel, "mandatory");
    assert.match(violation!.message, /`environment\.variables\.HOOK` holds a Slack webhook URL/);
    assert.match(violation!.message, /Secrets Manager/);
    assert.ok(!violation!.message.includes(WEBHOOK));
  });

  it("must report a Notion token serialized into a CallbackFunction's code", async () => {
    const code = `const token = "${NOTION}"; exports.handler = async () => token;`;
    const outcome = await runResourcePolicy(noPlaintextSecrets, lambda(code));
    assert.deepEqual(
      outcome.violations.map((v) => v.message.split(".")[0]),
      ["Lambda code `code:__index"],
    );
    assert.match(outcome.violations[0]!.message, /Notion integration token/);
    assert.ok(!outcome.violations[0]!.message.includes(NOTION));
  });

  it("must not scan the code when scanLambdaCode is false", async () => {
    const code = `const token = "${NOTION}";`;
    const outcome = await runResourcePolicy(noPlaintextSecrets, lambda(code), { scanLambdaCode: false });
    assert.deepEqual(outcome.violations, []);
  });

  it("must report a secret in any resource's tags", async () => {
    const topic = fixture(aws.sns.Topic, "events", { tags: { project: "drox-backup", hook: WEBHOOK } });
    const outcome = await runResourcePolicy(noPlaintextSecrets, topic);
    assert.equal(outcome.violations.length, 1);
    assert.match(outcome.violations[0]!.message, /^Tag `tags\.hook` holds a Slack webhook URL/);
  });

  it("must report a secret in an ECS container's environment with its path", async () => {
    const leaky = change(task, (props) => {
      const [container] = JSON.parse(props.containerDefinitions as string) as Record<string, unknown>[];
      container!.environment = [{ name: "NOTIFY", value: WEBHOOK }];
      props.containerDefinitions = JSON.stringify([container]);
    });
    const outcome = await runResourcePolicy(noPlaintextSecrets, leaky);
    assert.equal(outcome.violations.length, 1);
    assert.match(
      outcome.violations[0]!.message,
      /`containerDefinitions\[0\]\.environment\[0\]\.value` holds a Slack webhook URL/,
    );
  });

  it("must skip container definitions unknown at preview instead of failing the policy", async () => {
    const unknown = change(task, (props) => {
      props.containerDefinitions = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(noPlaintextSecrets, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must use the patterns from config instead of the defaults", async () => {
    const outcome = await runResourcePolicy(
      noPlaintextSecrets,
      lambda(COMPLIANT_CODE, { X: "pd_live_0123456789" }),
      {
        patterns: { "PagerDuty key": "pd_live_[0-9]+" },
      },
    );
    assert.equal(outcome.violations.length, 1);
    assert.match(outcome.violations[0]!.message, /PagerDuty key/);
    const defaults = await runResourcePolicy(noPlaintextSecrets, lambda(COMPLIANT_CODE, { HOOK: WEBHOOK }), {
      patterns: { "PagerDuty key": "pd_live_[0-9]+" },
    });
    assert.deepEqual(defaults.violations, []);
  });

  it("must tell where the secret sits and how to hand it over, in an ECS definition", async () => {
    const leaky = change(task, (props) => {
      const [container] = JSON.parse(props.containerDefinitions as string) as Record<string, unknown>[];
      container!.command = ["notify", NOTION];
      props.containerDefinitions = JSON.stringify([container]);
    });
    assert.deepEqual(
      (await runResourcePolicy(noPlaintextSecrets, leaky)).violations.map((v) => v.message),
      [
        "ECS container definition `containerDefinitions[0].command[1]` holds a Notion integration token in plain " +
          "text. Put the value in AWS Secrets Manager and pass only the secret's ARN (e.g. " +
          "SLACK_WEBHOOK_SECRET_ARN, NOTION_TOKEN_SECRET_ARN), or use ECS `secrets`; the code reads the value at " +
          "run time.",
      ],
    );
  });

  it("must pass a Lambda without environment or code, and code that is a file archive it cannot read", async () => {
    const bare = fixture(aws.lambda.Function, "slack-notifier", {
      role: "arn:aws:iam::123456789012:role/slack-notifier",
      runtime: "nodejs22.x",
    });
    assert.deepEqual((await runResourcePolicy(noPlaintextSecrets, bare)).violations, []);
    const fileCode = change(bare, () => undefined);
    fileCode.props.code = new pulumi.asset.FileArchive("./dist/lambda");
    assert.deepEqual((await runResourcePolicy(noPlaintextSecrets, fileCode)).violations, []);
  });

  it("must skip container definitions that are not JSON", async () => {
    const broken = change(task, (props) => {
      props.containerDefinitions = `[{"name": "api", "command": ["${WEBHOOK}"]`;
    });
    assert.deepEqual((await runResourcePolicy(noPlaintextSecrets, broken)).violations, []);
  });

  it("must tell which Lambda variable holds the secret", async () => {
    const outcome = await runResourcePolicy(noPlaintextSecrets, lambda(COMPLIANT_CODE, { HOOK: WEBHOOK }));
    assert.deepEqual(
      outcome.violations.map((v) => v.message.split(" in plain text.")[0]),
      ["Lambda environment variable `environment.variables.HOOK` holds a Slack webhook URL"],
    );
  });
});
