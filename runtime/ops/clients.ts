/**
 * The clients a redrive sends with — SQS (the dead-letter queues), SNS (the events topic),
 * Scheduler and ECS (a scheduled job relaunched) — built with the shared client configuration
 * (runtime/aws/clients.ts). A module of its own, imported by name so the IAM scan
 * (test/infra-task-permissions.spec.ts) sees them, and loaded only when `redrive` runs: the CLI's
 * start does not pay for four SDK packages.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SNSClient } from "@aws-sdk/client-sns";
import { clientConfig, createSnsClient } from "../aws/clients";

export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly scheduler: SchedulerClient;
  readonly ecs: ECSClient;
}

export function createRedriveClients(region: string | undefined): RedriveClients {
  const config = clientConfig({ region });
  return {
    sqs: new SQSClient(config),
    sns: createSnsClient({ region }),
    scheduler: new SchedulerClient(config),
    ecs: new ECSClient(config),
  };
}
