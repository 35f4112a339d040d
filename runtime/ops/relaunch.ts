/**
 * Re-running a scheduled job whose start failed. The Scheduler dead letter carries the job's
 * command (the target input) and the schedule's ARN, not where to run it: the schedule itself knows
 * (cluster, task definition, network), so the job is started exactly as the schedule would have,
 * with RunTask, from the schedule's ECS parameters and the input the dead letter kept. Running the
 * backup on the operator's machine instead would need every job setting there.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EcsParameters.html
 */
import { ECSClient, RunTaskCommand, type TaskOverride } from "@aws-sdk/client-ecs";
import { GetScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { DroxError } from "../contract/errors";
import type { ScheduledJobLetter } from "./dead-letters";

export interface JobLauncher {
  /** Starts the job; resolves with what identifies the run (the ECS task ARN). */
  launch(job: ScheduledJobLetter): Promise<string>;
}

/** `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>` → group and name. */
export function scheduleNameOf(arn: string): { group: string; name: string } {
  const [, group, name] =
    /^arn:aws[a-z-]*:scheduler:[a-z0-9-]+:\d{12}:schedule\/([^/]+)\/([^/]+)$/.exec(arn) ?? [];
  if (!group || !name)
    throw new DroxError(`SCHEDULE_ARN "${arn}" is not an EventBridge Scheduler schedule ARN`, {
      retryable: false,
    });
  return { group, name };
}

export class EcsJobLauncher implements JobLauncher {
  constructor(
    private readonly scheduler: SchedulerClient = new SchedulerClient({}),
    private readonly ecs: ECSClient = new ECSClient({}),
  ) {}

  async launch(job: ScheduledJobLetter): Promise<string> {
    const { group, name } = scheduleNameOf(job.scheduleArn);
    const schedule = await this.scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name }));
    const cluster = schedule.Target?.Arn;
    const ecs = schedule.Target?.EcsParameters;
    if (!cluster || !ecs?.TaskDefinitionArn)
      throw new DroxError(`schedule ${group}/${name} has no ECS target any more: nothing to re-run`, {
        retryable: false,
      });
    const vpc = ecs.NetworkConfiguration?.awsvpcConfiguration;
    const out = await this.ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: ecs.TaskDefinitionArn,
        count: 1,
        ...(ecs.CapacityProviderStrategy
          ? {
              capacityProviderStrategy: ecs.CapacityProviderStrategy.map((s) => ({
                capacityProvider: s.capacityProvider,
                weight: s.weight,
                base: s.base,
              })),
            }
          : { launchType: ecs.LaunchType }),
        ...(ecs.PlatformVersion ? { platformVersion: ecs.PlatformVersion } : {}),
        ...(vpc
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: vpc.Subnets,
                  securityGroups: vpc.SecurityGroups,
                  assignPublicIp: vpc.AssignPublicIp,
                },
              },
            }
          : {}),
        ...(ecs.PropagateTags ? { propagateTags: ecs.PropagateTags } : {}),
        overrides: job.overrides as TaskOverride,
        startedBy: "drox-backup-redrive",
      }),
    );
    const failure = out.failures?.[0];
    const taskArn = out.tasks?.[0]?.taskArn;
    if (failure || !taskArn)
      throw new DroxError(
        `RunTask for schedule ${group}/${name} failed: ${failure?.reason ?? "no task started"}${failure?.detail ? ` (${failure.detail})` : ""}`,
        { retryable: true },
      );
    return taskArn;
  }
}
