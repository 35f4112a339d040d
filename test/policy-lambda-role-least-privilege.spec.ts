import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { lambdaRoleLeastPrivilege } from "../policy/lambda-role-least-privilege";
import { Fixture, fixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";

const ROLE_ARN = "arn:aws:iam::123456789012:role/slack-role";
const ASSUME = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const LEAST = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["sns:Publish"], Resource: "arn:aws:sns:ap-northeast-2:123456789012:events" },
    {
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: "arn:aws:secretsmanager:*:*:secret:drox-*",
    },
  ],
};
const STAR: pulumi.Unwrap<aws.iam.PolicyDocument> = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

const role = fixture(
  aws.iam.Role,
  "slack-role",
  { assumeRolePolicy: ASSUME },
  { outputs: { arn: ROLE_ARN, name: "slack-role-1234" } },
);
const fn = fixture(aws.lambda.Function, "slack-notifier", { role: ROLE_ARN, runtime: "nodejs22.x" });
const inline = fixture(aws.iam.RolePolicy, "slack-policy", {
  role: "slack-role-1234",
  policy: JSON.stringify(LEAST),
});
const basic = fixture(aws.iam.RolePolicyAttachment, "slack-logs", {
  role: "slack-role-1234",
  policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
});
const compliant = [role, fn, inline, basic];

async function violations(resources: Fixture[]) {
  return (await runStackPolicy(lambdaRoleLeastPrivilege, resources)).violations;
}

describe("policy lambda-role-least-privilege", () => {
  it("must pass a role with scoped inline statements and the basic execution policy", async () => {
    assert.deepEqual(await violations(compliant), []);
  });

  it("must report an attached *FullAccess managed policy at the role, as mandatory", async () => {
    const full = fixture(aws.iam.RolePolicyAttachment, "slack-sns", {
      role: "slack-role-1234",
      policyArn: "arn:aws:iam::aws:policy/AmazonSNSFullAccess",
    });
    const found = await violations([...compliant, full]);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.urn, role.urn);
    assert.equal(found[0]!.enforcementLevel, "mandatory");
    assert.match(
      found[0]!.message,
      /^Role "slack-role" of Lambda "slack-notifier" has the managed policy arn:aws:iam::aws:policy\/AmazonSNSFullAccess attached\. Detach it/,
    );
  });

  it("must report AdministratorAccess in the role's managedPolicyArns", async () => {
    const admin = fixture(
      aws.iam.Role,
      "slack-role",
      { assumeRolePolicy: ASSUME, managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
      { outputs: { arn: ROLE_ARN, name: "slack-role-1234" } },
    );
    const found = await violations([admin, fn, inline]);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /AdministratorAccess attached/);
  });

  it('must report an inline statement with "Action": "*", given as a document or a JSON string', async () => {
    for (const policy of [JSON.stringify(STAR), STAR]) {
      const star = fixture(aws.iam.RolePolicy, "slack-policy", { role: "slack-role-1234", policy });
      const found = await violations([role, fn, star]);
      assert.equal(found.length, 1);
      assert.match(found[0]!.message, /has an inline policy that allows "Action": "\*"/);
    }
    const inRole = fixture(
      aws.iam.Role,
      "slack-role",
      { assumeRolePolicy: ASSUME, inlinePolicies: [{ name: "all", policy: JSON.stringify(STAR) }] },
      { outputs: { arn: ROLE_ARN, name: "slack-role-1234" } },
    );
    assert.equal((await violations([inRole, fn])).length, 1);
  });

  it('must report an attached customer policy allowing "Action": "*"', async () => {
    const customer = fixture(
      aws.iam.Policy,
      "wide",
      { policy: JSON.stringify(STAR) },
      {
        outputs: { arn: "arn:aws:iam::123456789012:policy/wide" },
      },
    );
    const attach = fixture(aws.iam.RolePolicyAttachment, "slack-wide", {
      role: "slack-role-1234",
      policyArn: "arn:aws:iam::123456789012:policy/wide",
    });
    const found = await violations([...compliant, customer, attach]);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /has policy "wide" attached, which allows "Action": "\*"/);
  });

  it("must not judge roles no Lambda uses", async () => {
    const ecsFull = fixture(aws.iam.RolePolicyAttachment, "task-full", {
      role: "task-role",
      policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    });
    const taskRole = fixture(
      aws.iam.Role,
      "task-role",
      { assumeRolePolicy: ASSUME },
      { outputs: { name: "task-role" } },
    );
    assert.deepEqual(await violations([...compliant, taskRole, ecsFull]), []);
  });

  it("must pass over a policy document that is unknown at preview", async () => {
    const unknown = fixture(aws.iam.RolePolicy, "slack-policy", {
      role: "slack-role-1234",
      policy: UNKNOWN_STRING,
    });
    const outcome = await runStackPolicy(lambdaRoleLeastPrivilege, [role, fn, unknown]);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must take the forbidden managed policies from config", async () => {
    const found = await runStackPolicy(lambdaRoleLeastPrivilege, compliant, {
      forbiddenManagedPolicyPattern: "AWSLambdaBasicExecutionRole$",
    });
    assert.equal(found.violations.length, 1);
  });
});
