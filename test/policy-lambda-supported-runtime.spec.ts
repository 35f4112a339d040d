import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { lambdaSupportedRuntime } from "../policy/lambda-supported-runtime";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const fn = fixture(aws.lambda.Function, "slack-notifier", {
  role: "arn:aws:iam::1:role/r",
  runtime: "nodejs22.x",
});
const withRuntime = (runtime: unknown) =>
  change(fn, (p) => {
    p.runtime = runtime;
  });

describe("policy lambda-supported-runtime", () => {
  it("must pass nodejs22.x, nodejs20.x and a later nodejs24.x", async () => {
    for (const runtime of ["nodejs22.x", "nodejs20.x", "nodejs24.x"]) {
      assert.deepEqual(
        (await runResourcePolicy(lambdaSupportedRuntime, withRuntime(runtime))).violations,
        [],
        runtime,
      );
    }
  });

  for (const runtime of ["nodejs18.x", "nodejs16.x", "python3.13"]) {
    it(`must report ${runtime} as mandatory`, async () => {
      const outcome = await runResourcePolicy(lambdaSupportedRuntime, withRuntime(runtime));
      assert.equal(outcome.violations.length, 1);
      assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
      assert.equal(
        outcome.violations[0]!.message,
        `Runtime ${runtime} is not allowed: use nodejs20.x or later (e.g. runtime: aws.lambda.Runtime.NodeJS22dX).`,
      );
    });
  }

  it("must report a zip function without a runtime", async () => {
    const outcome = await runResourcePolicy(lambdaSupportedRuntime, withRuntime(undefined));
    assert.match(outcome.violations[0]!.message, /^Set runtime explicitly/);
  });

  it("must follow minimumNodejsVersion and allowedOtherRuntimes from config", async () => {
    const config = { minimumNodejsVersion: 22, allowedOtherRuntimes: ["python3.13"] };
    assert.equal(
      (await runResourcePolicy(lambdaSupportedRuntime, withRuntime("nodejs20.x"), config)).violations.length,
      1,
    );
    assert.deepEqual(
      (await runResourcePolicy(lambdaSupportedRuntime, withRuntime("python3.13"), config)).violations,
      [],
    );
  });

  it("must skip container-image functions and a runtime unknown at preview", async () => {
    const image = change(fn, (p) => {
      delete p.runtime;
      p.packageType = "Image";
    });
    assert.deepEqual((await runResourcePolicy(lambdaSupportedRuntime, image)).violations, []);
    const unknown = await runResourcePolicy(lambdaSupportedRuntime, withRuntime(UNKNOWN_STRING));
    assert.deepEqual(unknown.violations, []);
    assert.equal(unknown.unknown, undefined);
  });

  it("must name the allowed runtimes, the configured other runtimes among them, in both messages", async () => {
    const config = { minimumNodejsVersion: 22, allowedOtherRuntimes: ["python3.13", "java21"] };
    const missing = await runResourcePolicy(lambdaSupportedRuntime, withRuntime(""), config);
    assert.deepEqual(
      missing.violations.map((v) => v.message),
      ["Set runtime explicitly (nodejs22.x or later or python3.13, java21) instead of relying on a default."],
    );
    const old = await runResourcePolicy(lambdaSupportedRuntime, withRuntime("nodejs20.x"), config);
    assert.deepEqual(
      old.violations.map((v) => v.message),
      [
        "Runtime nodejs20.x is not allowed: use nodejs22.x or later or python3.13, java21 (e.g. runtime: " +
          "aws.lambda.Runtime.NodeJS22dX).",
      ],
    );
    assert.deepEqual(
      (await runResourcePolicy(lambdaSupportedRuntime, withRuntime(undefined))).violations.map(
        (v) => v.message,
      ),
      ["Set runtime explicitly (nodejs20.x or later) instead of relying on a default."],
    );
  });

  it("must keep the default minimum when the config's is not a number", async () => {
    const outcome = await runResourcePolicy(lambdaSupportedRuntime, withRuntime("nodejs18.x"), {
      minimumNodejsVersion: "16",
    });
    assert.equal(outcome.violations.length, 1);
  });
});
