import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { drillDeletesScoped } from "../policy/drill-deletes-scoped";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const VOLUMES = "arn:aws:ec2:ap-northeast-2:123456789012:volume/*";
const DRILL_DBS = "arn:aws:rds:ap-northeast-2:123456789012:db:drox-drill-*";
const TAGGED = { Null: { "aws:ResourceTag/drox-backup:drill": "false" } };

/** The task role's drill deletes as components/task-permissions.ts writes them. */
const COMPLIANT = [
  {
    Effect: "Allow",
    Sid: "DrillDeleteVolumes",
    Action: "ec2:DeleteVolume",
    Resource: VOLUMES,
    Condition: TAGGED,
  },
  {
    Effect: "Allow",
    Sid: "DrillDeleteInstances",
    Action: "rds:DeleteDBInstance",
    Resource: DRILL_DBS,
    Condition: TAGGED,
  },
  {
    Effect: "Allow",
    Sid: "EbsSnapshots",
    Action: ["ec2:CreateSnapshot", "ec2:DescribeVolumes"],
    Resource: "*",
  },
];
const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

const rolePolicy = fixture(aws.iam.RolePolicy, "task-policy", { role: "task-role", policy: doc(COMPLIANT) });
const withStatement = (statement: Record<string, unknown>) =>
  change(rolePolicy, (p) => {
    p.policy = doc([...COMPLIANT, statement]);
  });

describe("policy drill-deletes-scoped", () => {
  it("must pass the task role's drill deletes: tagged volumes, tagged drox-drill-* instances", async () => {
    assert.deepEqual((await runResourcePolicy(drillDeletesScoped, rolePolicy)).violations, []);
  });

  it("must report a volume delete without the drill tag condition, naming the statement and the fix", async () => {
    const outcome = await runResourcePolicy(
      drillDeletesScoped,
      withStatement({ Effect: "Allow", Sid: "Cleanup", Action: "ec2:DeleteVolume", Resource: VOLUMES }),
    );
    assert.deepEqual(
      outcome.violations.map((v) => v.message),
      [
        'Statement "Cleanup" lets the role delete any EBS volume: allow ec2:DeleteVolume only with "Condition": {"Null": {"aws:ResourceTag/drox-backup:drill": "false"}} (a restore drill\'s scratch volumes).',
      ],
    );
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
  });

  it("must count wildcards and NotAction as granting the deletes", async () => {
    for (const statement of [
      { Effect: "Allow", Action: "ec2:*", Resource: "*" },
      { Effect: "Allow", Action: "ec2:Delete*", Resource: VOLUMES },
      { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
    ]) {
      const outcome = await runResourcePolicy(drillDeletesScoped, withStatement(statement));
      assert.match(outcome.violations[0]?.message ?? "", /^Statement #4 lets the role delete any EBS volume/);
    }
    const rds = await runResourcePolicy(
      drillDeletesScoped,
      withStatement({ Effect: "Allow", Action: "rds:Delete*", Resource: "*", Condition: TAGGED }),
    );
    assert.match(
      rds.violations[0]?.message ?? "",
      /^Statement #4 lets the role delete DB instances other than a drill's/,
    );
  });

  it("must report an instance delete outside drox-drill-*, or without the tag condition", async () => {
    for (const statement of [
      {
        Effect: "Allow",
        Action: "rds:DeleteDBInstance",
        Resource: "arn:aws:rds:*:*:db:*",
        Condition: TAGGED,
      },
      { Effect: "Allow", Action: "rds:DeleteDBInstance", Resource: DRILL_DBS },
      {
        Effect: "Allow",
        Action: "rds:DeleteDBInstance",
        NotResource: "arn:aws:rds:*:*:db:prod-*",
        Condition: TAGGED,
      },
    ]) {
      assert.equal(
        (await runResourcePolicy(drillDeletesScoped, withStatement(statement))).violations.length,
        1,
      );
    }
  });

  it("must ignore a Deny, and a document unknown at preview", async () => {
    const deny = withStatement({ Effect: "Deny", Action: "ec2:DeleteVolume", Resource: "*" });
    assert.deepEqual((await runResourcePolicy(drillDeletesScoped, deny)).violations, []);
    const unknown = change(rolePolicy, (p) => {
      p.policy = UNKNOWN_STRING;
    });
    assert.deepEqual((await runResourcePolicy(drillDeletesScoped, unknown)).violations, []);
  });

  it("must check standalone policies and a role's inline policies too", async () => {
    const wide = doc([
      { Effect: "Allow", Action: ["ec2:DeleteVolume", "rds:DeleteDBInstance"], Resource: "*" },
    ]);
    const policy = fixture(aws.iam.Policy, "cleanup", { policy: wide });
    assert.equal((await runResourcePolicy(drillDeletesScoped, policy)).violations.length, 2);
    const role = fixture(aws.iam.Role, "ops", {
      assumeRolePolicy: doc([]),
      inlinePolicies: [{ name: "cleanup", policy: wide }],
    });
    assert.equal((await runResourcePolicy(drillDeletesScoped, role)).violations.length, 2);
  });
});
