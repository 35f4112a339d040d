/**
 * EventBridge Scheduler schedules, in the display time zone, each running the service's task
 * definition as a one-off ECS task with the job's command: the daily backups (one per type that
 * has targets), the integrity check, and the weekly report. Failed launches are retried, then land
 * in a dead-letter queue.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument } from "./iam";

export interface ScheduledJob {
  /** Child name suffix, e.g. `ebs`. */
  readonly role: string;
  /** `cron(...)` or `rate(...)`. */
  readonly expression: string;
  /** Arguments to the image's ENTRYPOINT (the drox-backup CLI), e.g. `["run", "ebs"]`. */
  readonly command: readonly string[];
  /** Shown in the console. */
  readonly description: string;
}

export interface SchedulesArgs {
  /** AWS account id, for the trust policy. */
  readonly accountId: pulumi.Input<string>;
  /** The jobs to schedule. */
  readonly jobs: readonly ScheduledJob[];
  /** IANA zone the expressions are read in. @default "Asia/Seoul" */
  readonly timeZone?: string;
  /** ECS cluster ARN. */
  readonly clusterArn: pulumi.Input<string>;
  /** Task definition ARN (the scheduler runs its latest revision at each change). */
  readonly taskDefinitionArn: pulumi.Input<string>;
  /** Container the command override applies to. */
  readonly containerName: string;
  /** Roles the scheduler passes to ECS. */
  readonly taskRoleArn: pulumi.Input<string>;
  readonly executionRoleArn: pulumi.Input<string>;
  /** Task networking. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Give the task a public IP. @default false */
  readonly assignPublicIp?: boolean;
  /** Retries of a failed RunTask (0-185). @default 3 */
  readonly maximumRetryAttempts?: number;
  /** Give up on an invocation after this many seconds (60-86400). @default 3600 */
  readonly maximumEventAgeInSeconds?: number;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * Every revision of a task definition's family, as RunTask is granted on it: a revision's ARN is
 * `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`, the family's
 * `…/<family>:*`, so the scheduler keeps its permission when a deployment adds a revision.
 */
export function familyRevisionsArn(taskDefinitionArn: string): string {
  return `${taskDefinitionArn.replace(/:\d+$/, "")}:*`;
}

export class Schedules extends pulumi.ComponentResource {
  /** Dead-letter queue of launches that still failed after the retries. */
  public readonly dlq: aws.sqs.Queue;
  /** Schedule name per job role. */
  public readonly scheduleNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SchedulesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:schedules:Schedules", name, {}, opts);
    const timeZone = args.timeZone ?? "Asia/Seoul";
    const assignPublicIp = args.assignPublicIp ?? false;
    const maximumRetryAttempts = args.maximumRetryAttempts ?? 3;
    const maximumEventAgeInSeconds = args.maximumEventAgeInSeconds ?? 3600;
    const tags = args.tags ?? {};
    const roles = args.jobs.map((job) => job.role);
    const duplicate = roles.find((role, index) => roles.indexOf(role) !== index);
    if (duplicate) throw new Error(`Schedules: jobs has the role "${duplicate}" twice`);

    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      { sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600, tags },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: assumeRolePolicy("scheduler.amazonaws.com", args.accountId), tags },
      { parent: this },
    );
    // RunTask is granted on the family's revisions, not `*`; PassRole only to ECS tasks.
    const familyArn = pulumi.output(args.taskDefinitionArn).apply(familyRevisionsArn);
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: policyDocument([
          {
            Sid: "RunJobTasks",
            Action: "ecs:RunTask",
            Resource: familyArn,
            Condition: { ArnEquals: { "ecs:cluster": args.clusterArn } },
          },
          {
            Sid: "TagJobTasks",
            Action: "ecs:TagResource",
            Resource: "*",
            Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
          },
          {
            Sid: "PassTaskRoles",
            Action: "iam:PassRole",
            Resource: [args.taskRoleArn, args.executionRoleArn],
            Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
          },
          { Sid: "DeadLetters", Action: "sqs:SendMessage", Resource: dlq.arn },
        ]),
      },
      { parent: this },
    );

    const scheduleNames: Record<string, pulumi.Output<string>> = {};
    for (const job of args.jobs) {
      const schedule = new aws.scheduler.Schedule(
        `${name}-${job.role}`,
        {
          description: job.description,
          scheduleExpression: job.expression,
          scheduleExpressionTimezone: timeZone,
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            arn: args.clusterArn,
            roleArn: role.arn,
            ecsParameters: {
              taskDefinitionArn: args.taskDefinitionArn,
              launchType: "FARGATE",
              taskCount: 1,
              networkConfiguration: {
                subnets: args.subnetIds,
                securityGroups: args.securityGroupIds,
                assignPublicIp,
              },
              propagateTags: "TASK_DEFINITION",
            },
            // For an ECS target the input is RunTask's `overrides`.
            input: JSON.stringify({
              containerOverrides: [{ name: args.containerName, command: job.command }],
            }),
            retryPolicy: { maximumRetryAttempts, maximumEventAgeInSeconds },
            deadLetterConfig: { arn: dlq.arn },
          },
        },
        { parent: this },
      );
      scheduleNames[job.role] = schedule.name;
    }

    this.dlq = dlq;
    this.scheduleNames = scheduleNames;
    this.registerOutputs({ dlqArn: dlq.arn, scheduleNames });
  }
}
