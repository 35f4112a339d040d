import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { lambdaFailureDestination } from "../policy/lambda-failure-destination";
import { fixture, rawFixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";

const DLQ_ARN = "arn:aws:sqs:ap-northeast-2:123456789012:slack-dlq";
const ROLE = "arn:aws:iam::123456789012:role/fn";

const withDlq = fixture(
  aws.lambda.Function,
  "slack-notifier",
  { role: ROLE, deadLetterConfig: { targetArn: DLQ_ARN } },
  {
    outputs: {
      name: "slack-notifier-1a2b3c",
      arn: "arn:aws:lambda:ap-northeast-2:123456789012:function:slack-notifier-1a2b3c",
    },
  },
);
const bare = fixture(
  aws.lambda.Function,
  "notion-logger",
  { role: ROLE, name: "notion-logger-9f8e7d" },
  { outputs: { arn: "arn:aws:lambda:ap-northeast-2:123456789012:function:notion-logger-9f8e7d" } },
);
const onFailure = (functionName: string, extra = {}) =>
  fixture(
    aws.lambda.FunctionEventInvokeConfig,
    "notion-logger-invoke",
    { functionName, maximumRetryAttempts: 2, destinationConfig: { onFailure: { destination: DLQ_ARN } } },
    extra,
  );

describe("policy lambda-failure-destination", () => {
  it("must pass a function with a dead-letter queue", async () => {
    assert.deepEqual((await runStackPolicy(lambdaFailureDestination, [withDlq])).violations, []);
  });

  it("must pass a function with an on-failure destination, referred to by name or by ARN", async () => {
    for (const ref of [
      "notion-logger-9f8e7d",
      "arn:aws:lambda:ap-northeast-2:123456789012:function:notion-logger-9f8e7d",
    ]) {
      assert.deepEqual(
        (await runStackPolicy(lambdaFailureDestination, [bare, onFailure(ref)])).violations,
        [],
        ref,
      );
    }
  });

  it("must pass an invoke config whose function name is unknown at preview through the dependency graph", async () => {
    const config = onFailure(UNKNOWN_STRING, { propertyDependencies: { functionName: [bare.urn] } });
    assert.deepEqual((await runStackPolicy(lambdaFailureDestination, [bare, config])).violations, []);
  });

  it("must report a function with neither, at the function's URN, as mandatory", async () => {
    const outcome = await runStackPolicy(lambdaFailureDestination, [withDlq, bare]);
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.urn, bare.urn);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.match(
      outcome.violations[0]!.message,
      /^Lambda "notion-logger" has neither a dead-letter queue nor an on-failure destination/,
    );
  });

  it("must report a function whose invoke config has no on-failure destination or targets another function", async () => {
    const noDestination = fixture(aws.lambda.FunctionEventInvokeConfig, "cfg", {
      functionName: "notion-logger-9f8e7d",
      maximumRetryAttempts: 2,
    });
    assert.equal(
      (await runStackPolicy(lambdaFailureDestination, [bare, noDestination])).violations.length,
      1,
    );
    assert.equal(
      (await runStackPolicy(lambdaFailureDestination, [bare, onFailure("other-fn")])).violations.length,
      1,
    );
  });

  it("must skip functions matching exemptNamePattern", async () => {
    const outcome = await runStackPolicy(lambdaFailureDestination, [bare], { exemptNamePattern: "^notion-" });
    assert.deepEqual(outcome.violations, []);
  });

  it("must not count a dead-letter config without a queue ARN, and tell both ways to keep failures", async () => {
    for (const deadLetterConfig of [{}, { targetArn: "" }]) {
      const empty = rawFixture(bare.type, "notion-logger", { role: ROLE, deadLetterConfig });
      assert.deepEqual(
        (await runStackPolicy(lambdaFailureDestination, [empty])).violations.map((v) => v.message),
        [
          'Lambda "notion-logger" has neither a dead-letter queue nor an on-failure destination, so events it ' +
            "fails to process after its retries are dropped. Set deadLetterConfig: { targetArn: <SQS queue ARN> } " +
            "(the role needs sqs:SendMessage), or add aws.lambda.FunctionEventInvokeConfig with " +
            "destinationConfig.onFailure.destination.",
        ],
        JSON.stringify(deadLetterConfig),
      );
    }
  });

  it("must exempt nothing when exemptNamePattern is empty, as it is by default", async () => {
    const outcome = await runStackPolicy(lambdaFailureDestination, [bare], { exemptNamePattern: "" });
    assert.equal(outcome.violations.length, 1);
  });
});
