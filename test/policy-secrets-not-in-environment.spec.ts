import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { secretsNotInEnvironment } from "../policy/secrets-not-in-environment";
import { EnvVar, isSecret, SETTING_KEYS, SETTINGS } from "../runtime/settings/declaration";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:drox-notion-token-AbCdEf";

const task = fixture(aws.ecs.TaskDefinition, "api-task", {
  family: "drox-api",
  containerDefinitions: JSON.stringify([
    {
      name: "api",
      image: "drox:latest",
      environment: [
        { name: "DISPLAY_TIME_ZONE", value: "Asia/Seoul" },
        { name: "NOTION_TOKEN_SECRET_ARN", value: SECRET_ARN },
      ],
      secrets: [
        { name: "NOTION_TOKEN", valueFrom: SECRET_ARN },
        { name: "API_TOKEN", valueFrom: SECRET_ARN },
      ],
    },
  ]),
});

const lambda = fixture(aws.lambda.Function, "notion-logger", {
  role: "arn:aws:iam::123456789012:role/notion-logger",
  environment: { variables: { NOTION_TOKEN_SECRET_ARN: SECRET_ARN, NOTION_DATABASE_ID: "0123456789abcdef" } },
});

function withEnvironment(name: string) {
  return change(task, (props) => {
    const containers = JSON.parse(props.containerDefinitions as string) as { environment: unknown[] }[];
    containers[0]!.environment.push({ name, value: SECRET_ARN });
    props.containerDefinitions = JSON.stringify(containers);
  });
}

describe("policy secrets-not-in-environment", () => {
  it("must pass secrets given through ECS `secrets` and as *_SECRET_ARN to a Lambda", async () => {
    assert.deepEqual((await runResourcePolicy(secretsNotInEnvironment, task)).violations, []);
    assert.deepEqual((await runResourcePolicy(secretsNotInEnvironment, lambda)).violations, []);
  });

  for (const name of [
    "SLACK_WEBHOOK_URL",
    "NOTION_TOKEN",
    "API_TOKEN",
    "SLACK_ALERTS_WEBHOOK_URL",
    "DB_PASSWORD",
  ]) {
    it(`must report ${name} in an ECS container's environment as mandatory`, async () => {
      const outcome = await runResourcePolicy(secretsNotInEnvironment, withEnvironment(name));
      assert.equal(outcome.violations.length, 1);
      assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
      assert.match(
        outcome.violations[0]!.message,
        new RegExp(`Container "api" sets ${name} in \`environment\``),
      );
      assert.match(outcome.violations[0]!.message, /Move it to `secrets`/);
    });
  }

  it("must report a secret-named Lambda environment variable even when its value is an ARN", async () => {
    const leaky = change(lambda, (props) => {
      (props.environment as { variables: Record<string, string> }).variables.SLACK_WEBHOOK_URL = SECRET_ARN;
    });
    const outcome = await runResourcePolicy(secretsNotInEnvironment, leaky);
    assert.equal(outcome.violations.length, 1);
    assert.match(outcome.violations[0]!.message, /Pass SLACK_WEBHOOK_URL_SECRET_ARN/);
  });

  it("must take the secret names from config", async () => {
    const outcome = await runResourcePolicy(secretsNotInEnvironment, withEnvironment("LICENSE_KEY"), {
      secretNames: ["LICENSE_KEY"],
      secretNamePattern: "^$",
    });
    assert.equal(outcome.violations.length, 1);
    const relaxed = await runResourcePolicy(secretsNotInEnvironment, withEnvironment("DB_PASSWORD"), {
      secretNames: [],
      secretNamePattern: "^$",
    });
    assert.deepEqual(relaxed.violations, []);
  });

  it("must leave container definitions unknown at preview to the update", async () => {
    const unknown = change(task, (props) => {
      props.containerDefinitions = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(secretsNotInEnvironment, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must name every secret setting's variable by default, even when a stack narrows the pattern", async () => {
    const secretVariables = SETTING_KEYS.filter(isSecret)
      .map((key) => (SETTINGS[key] as { env?: EnvVar }).env?.name)
      .filter((name): name is string => name !== undefined);
    assert.ok(secretVariables.length >= 6, secretVariables.join());
    for (const name of secretVariables) {
      const outcome = await runResourcePolicy(secretsNotInEnvironment, withEnvironment(name), {
        secretNamePattern: "^$",
      });
      assert.equal(outcome.violations.length, 1, name);
    }
  });

  it("must tell which container sets the secret and how to hand it over instead", async () => {
    const outcome = await runResourcePolicy(secretsNotInEnvironment, withEnvironment("NOTION_TOKEN"));
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        'Container "api" sets NOTION_TOKEN in `environment`, which is plain text in the task definition. ' +
          'Move it to `secrets`: { name: "NOTION_TOKEN", valueFrom: <Secrets Manager ARN> }.',
      ],
    );
  });

  it("must tell which Lambda variable carries a secret and which ARN variable to pass instead", async () => {
    const leaky = change(lambda, (props) => {
      (props.environment as { variables: Record<string, string> }).variables.API_TOKEN = "t0ken";
    });
    const outcome = await runResourcePolicy(secretsNotInEnvironment, leaky);
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        "Lambda environment variable API_TOKEN carries a secret, and Lambda environment variables are plain " +
          "text in the function's configuration. Pass API_TOKEN_SECRET_ARN (the Secrets Manager ARN) instead; " +
          "the handler reads the value at cold start.",
      ],
    );
  });

  it("must pass a Lambda without environment variables", async () => {
    const bare = change(lambda, (props) => {
      delete props.environment;
    });
    assert.deepEqual((await runResourcePolicy(secretsNotInEnvironment, bare)).violations, []);
    const empty = change(lambda, (props) => {
      props.environment = {};
    });
    assert.deepEqual((await runResourcePolicy(secretsNotInEnvironment, empty)).violations, []);
  });

  it("must check each container, past a sidecar without environment", async () => {
    const withSidecar = change(withEnvironment("API_TOKEN"), (props) => {
      const containers = JSON.parse(props.containerDefinitions as string) as unknown[];
      props.containerDefinitions = JSON.stringify([
        { name: "log-router", image: "fluent-bit" },
        ...containers,
      ]);
    });
    const outcome = await runResourcePolicy(secretsNotInEnvironment, withSidecar);
    assert.deepEqual(
      outcome.violations.map((v) => v.message.split(" in ")[0]),
      ['Container "api" sets API_TOKEN'],
    );
  });

  it("must leave container definitions that are not a JSON list to the provider, which rejects them", async () => {
    for (const definitions of [
      "{not json",
      JSON.stringify({ name: "api", environment: [{ name: "API_TOKEN" }] }),
    ]) {
      const malformed = change(task, (props) => {
        props.containerDefinitions = definitions;
      });
      const outcome = await runResourcePolicy(secretsNotInEnvironment, malformed);
      assert.deepEqual(outcome.violations, [], definitions);
    }
  });
});
