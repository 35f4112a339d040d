import assert from "node:assert/strict";
import { familyRevisionsArn } from "../components/schedules";
import { byName, cachedRun, ofType, policyOf, type ProgramRun } from "./support/pulumi-mocks";

const CLUSTER = "arn:aws:ecs:ap-northeast-2:123456789012:drox-backup-cluster";
const TASK_DEF = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/drox-backup-prod:1";
const DLQ = "arn:aws:sqs:ap-northeast-2:123456789012:drox-backup-dlq";

describe("infra: schedules, RunTask's resource (familyRevisionsArn)", () => {
  it("must grant every revision of the family, whatever the deployed revision's number", () => {
    // Task definition ARNs as ECS documents them: …:task-definition/<family>:<revision>.
    const family = "arn:aws:ecs:us-east-1:111122223333:task-definition/drox-backup-prod";
    for (const revision of ["1", "9", "12", "305"]) {
      assert.equal(familyRevisionsArn(`${family}:${revision}`), `${family}:*`, revision);
    }
  });
});

describe("infra: schedules (EventBridge Scheduler → ECS RunTask)", () => {
  let prod: ProgramRun;
  before(async () => {
    prod = await cachedRun("prod");
  });

  it("must schedule each job in the display time zone with its command", () => {
    const schedules = ofType(prod, "aws:scheduler/schedule:Schedule");
    const summary = Object.fromEntries(
      schedules.map((s) => {
        const target = s.inputs.target as { input: string };
        const overrides = JSON.parse(target.input) as {
          containerOverrides: { name: string; command: string[] }[];
        };
        return [
          s.name,
          [s.inputs.scheduleExpression, s.inputs.scheduleExpressionTimezone, overrides.containerOverrides],
        ];
      }),
    );
    const job = (command: string[]) => [{ name: "app", command }];
    assert.deepEqual(summary, {
      "drox-backup-ebs": ["cron(0 2 * * ? *)", "Asia/Seoul", job(["run", "ebs"])],
      "drox-backup-rds": ["cron(30 2 * * ? *)", "Asia/Seoul", job(["run", "rds"])],
      "drox-backup-s3": ["cron(0 3 * * ? *)", "Asia/Seoul", job(["run", "s3"])],
      "drox-backup-integrity-check": ["cron(0 6 * * ? *)", "Asia/Seoul", job(["check"])],
      "drox-backup-weekly-report": ["cron(0 9 ? * SUN *)", "Asia/Seoul", job(["report", "weekly"])],
      // Pulumi.prod.yaml switches the restore drill on: Saturday night, before Sunday's report.
      "drox-backup-drill": ["cron(0 23 ? * SAT *)", "Asia/Seoul", job(["drill", "all"])],
      // Issue 11: the 1st of each month in the display zone.
      "drox-backup-monthly-report": ["cron(0 9 1 * ? *)", "Asia/Seoul", job(["report", "monthly"])],
    });
  });

  it("must schedule no restore drill where drillEnabled is off (dev's default), nor without targets", async () => {
    const names = (run: ProgramRun) => ofType(run, "aws:scheduler/schedule:Schedule").map((s) => s.name);
    assert.ok(!names(await cachedRun("dev")).includes("drox-backup-drill"));
    const untargeted = await cachedRun("prod", {
      ebsVolumeIds: "[]",
      rdsInstanceIds: "[]",
      s3SourceBuckets: "[]",
    });
    assert.ok(!names(untargeted).includes("drox-backup-drill"));
  });

  it("must run the service's task definition on Fargate with retries and a dead-letter queue", () => {
    for (const schedule of ofType(prod, "aws:scheduler/schedule:Schedule")) {
      const target = schedule.inputs.target as Record<string, unknown>;
      assert.equal(target.arn, CLUSTER);
      assert.equal(target.roleArn, "arn:aws:iam:ap-northeast-2:123456789012:drox-backup-role");
      assert.deepEqual(target.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 });
      assert.deepEqual(target.deadLetterConfig, { arn: DLQ });
      assert.deepEqual(target.ecsParameters, {
        taskDefinitionArn: TASK_DEF,
        launchType: "FARGATE",
        taskCount: 1,
        networkConfiguration: {
          subnets: ["drox-backup-vpc-private-a", "drox-backup-vpc-private-b"],
          securityGroups: ["drox-backup-task-sg-id"],
          assignPublicIp: false,
        },
        propagateTags: "TASK_DEFINITION",
      });
      assert.deepEqual(schedule.inputs.flexibleTimeWindow, { mode: "OFF" });
    }
    assert.equal(byName(prod, "aws:sqs/queue:Queue", "drox-backup-dlq").inputs.sqsManagedSseEnabled, true);
  });

  it("must let the scheduler run only this family's tasks and pass only its two roles to ECS", () => {
    // The scheduler's execution role trusts scheduler.amazonaws.com, for schedules of this account
    // only (aws:SourceAccount, EventBridge Scheduler's guide against the confused deputy).
    const trust = policyOf(byName(prod, "aws:iam/role:Role", "drox-backup-role"), "assumeRolePolicy");
    assert.deepEqual(trust.Statement, [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    assert.deepEqual(
      policyOf(byName(prod, "aws:iam/rolePolicy:RolePolicy", "drox-backup-policy")).Statement,
      [
        {
          Effect: "Allow",
          Sid: "RunJobTasks",
          Action: "ecs:RunTask",
          Resource: "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/drox-backup-prod:*",
          Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
        },
        {
          Effect: "Allow",
          Sid: "TagJobTasks",
          Action: "ecs:TagResource",
          Resource: "*",
          Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
        },
        {
          Effect: "Allow",
          Sid: "PassTaskRoles",
          Action: "iam:PassRole",
          Resource: [
            "arn:aws:iam:ap-northeast-2:123456789012:drox-backup-task-role",
            "arn:aws:iam:ap-northeast-2:123456789012:drox-backup-execution-role",
          ],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
        { Effect: "Allow", Sid: "DeadLetters", Action: "sqs:SendMessage", Resource: DLQ },
      ],
    );
  });

  it("must skip the backup of a type with no targets, and follow configured expressions and zone", async () => {
    const run = await cachedRun("prod", {
      rdsInstanceIds: "[]",
      ebsSchedule: "rate(12 hours)",
      displayTimeZone: "UTC",
    });
    const names = ofType(run, "aws:scheduler/schedule:Schedule")
      .map((s) => s.name)
      .sort();
    assert.deepEqual(names, [
      "drox-backup-drill",
      "drox-backup-ebs",
      "drox-backup-integrity-check",
      "drox-backup-monthly-report",
      "drox-backup-s3",
      "drox-backup-weekly-report",
    ]);
    const ebs = byName(run, "aws:scheduler/schedule:Schedule", "drox-backup-ebs");
    assert.equal(ebs.inputs.scheduleExpression, "rate(12 hours)");
    assert.equal(ebs.inputs.scheduleExpressionTimezone, "UTC");
    assert.ok(
      run.logs.some(
        (l) => l.message === "No RDS targets (ids or backupTag): the rds backup is not scheduled.",
      ),
    );
  });
});
