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

  describe("as IAM reads actions and conditions", () => {
    const volumeDelete = (extra: Record<string, unknown>) => ({
      Effect: "Allow",
      Action: "ec2:DeleteVolume",
      Resource: VOLUMES,
      ...extra,
    });
    const reported = async (statement: Record<string, unknown>): Promise<number> =>
      (await runResourcePolicy(drillDeletesScoped, withStatement(statement))).violations.length;

    it("must name each statement by its Sid, or by its position when it has none", async () => {
      const rdsFix =
        "lets the role delete DB instances other than a drill's: allow rds:DeleteDBInstance only on " +
        'arn:aws:rds:<region>:<account>:db:drox-drill-* with "Condition": {"Null": ' +
        '{"aws:ResourceTag/drox-backup:drill": "false"}}.';
      for (const Sid of [undefined, "", 5]) {
        const outcome = await runResourcePolicy(
          drillDeletesScoped,
          withStatement({ Effect: "Allow", Sid, Action: "rds:DeleteDBInstance", Resource: "*" }),
        );
        assert.deepEqual(
          outcome.violations.map((v) => v.message),
          [`Statement #4 ${rdsFix}`],
          String(Sid),
        );
      }
      const named = await runResourcePolicy(
        drillDeletesScoped,
        withStatement({ Effect: "Allow", Sid: "Purge", Action: "rds:DeleteDBInstance", Resource: "*" }),
      );
      assert.deepEqual(
        named.violations.map((v) => v.message),
        [`Statement "Purge" ${rdsFix}`],
      );
    });

    it("must match actions as IAM does: * and ? wildcards only, case-insensitive", async () => {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
      for (const Action of ["EC2:deletevolume", "ec2:DeleteVolum?", "ec2:*Volume"]) {
        assert.equal(await reported({ Effect: "Allow", Action, Resource: "*" }), 1, Action);
      }
      for (const Action of [
        "ec2:Delete.olume",
        "ec2:DeleteVolume?",
        "ec2:Delete(Volume)",
        "ec2:DeleteVolumes",
      ]) {
        assert.equal(await reported({ Effect: "Allow", Action, Resource: "*" }), 0, Action);
      }
    });

    it("must not count a NotAction that excludes the deletes, nor an action list's non-string entries", async () => {
      assert.equal(
        await reported({
          Effect: "Allow",
          NotAction: ["s3:*", "ec2:DeleteVolume", "rds:Delete*"],
          Resource: "*",
        }),
        0,
      );
      assert.equal(
        await reported({ Effect: "Allow", Action: [42, null, "ec2:DeleteVolume"], Resource: "*" }),
        1,
      );
    });

    it("must accept the drill tag proven by Null false, StringEquals or StringLike, beside other conditions", async () => {
      const tag = "aws:ResourceTag/drox-backup:drill";
      for (const Condition of [
        { ...TAGGED, StringEquals: { "aws:RequestedRegion": "ap-northeast-2" } },
        { StringEquals: { [tag]: "true" } },
        { StringLike: { [tag]: ["*"] } },
        { Null: { [tag]: ["false"] } },
      ]) {
        assert.equal(await reported(volumeDelete({ Condition })), 0, JSON.stringify(Condition));
      }
      const instances = {
        Effect: "Allow",
        Action: "rds:DeleteDBInstance",
        Resource: DRILL_DBS,
        Condition: { StringEquals: { "rds:db-tag/drox-backup:drill": "true" } },
      };
      assert.equal(await reported(instances), 0);
    });

    it("must not take as proof a condition that holds when the tag is absent or differs", async () => {
      // IfExists and ForAllValues hold when the key is missing from the request:
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
      const tag = "aws:ResourceTag/drox-backup:drill";
      for (const Condition of [
        { Null: { "aws:ResourceTag/owner": "false" } },
        { Null: { [tag]: "true" } },
        { Null: { [tag]: ["false", "true"] } },
        { StringEqualsIfExists: { [tag]: "true" } },
        { "ForAllValues:StringEquals": { [tag]: "true" } },
        { StringNotEquals: { [tag]: "false" } },
        { StringEquals: { [tag]: [] } },
        { StringEquals: "true" },
        "Null",
      ]) {
        assert.equal(await reported(volumeDelete({ Condition })), 1, JSON.stringify(Condition));
      }
    });

    it("must report an instance delete on drill and other instances alike", async () => {
      const statement = {
        Effect: "Allow",
        Action: "rds:DeleteDBInstance",
        Resource: [DRILL_DBS, "arn:aws:rds:ap-northeast-2:123456789012:db:prod-main"],
        Condition: TAGGED,
      };
      assert.equal(await reported(statement), 1);
    });

    it("must read a document given as an object, and pass a role without inline policies", async () => {
      const policy = fixture(aws.iam.Policy, "cleanup", {
        policy: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "ec2:DeleteVolume", Resource: "*" }],
        },
      });
      assert.deepEqual(
        (await runResourcePolicy(drillDeletesScoped, policy)).violations.map((v) => v.message.split(":")[0]),
        ["Statement #1 lets the role delete any EBS volume"],
      );
      const role = fixture(aws.iam.Role, "ops", { assumeRolePolicy: doc([]) });
      assert.deepEqual((await runResourcePolicy(drillDeletesScoped, role)).violations, []);
    });
  });
});
