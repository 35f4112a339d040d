import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isRecord, numberOr, unproxy } from "./lib/values";

interface ScheduleRetryAndDlqConfig {
  minimumRetryAttempts?: number;
}

const DEFAULT_MINIMUM_RETRY_ATTEMPTS = 1;

export const scheduleRetryAndDlq: ResourceValidationPolicy = {
  name: "schedule-retry-and-dlq",
  description:
    "EventBridge Scheduler schedules retry a failed invocation and keep what still fails in a dead-letter queue, " +
    "so a missed backup run is visible.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumRetryAttempts: {
        type: "integer",
        minimum: 0,
        maximum: 185,
        description: "Fewest retries a schedule's retry policy may have.",
        default: DEFAULT_MINIMUM_RETRY_ATTEMPTS,
      },
    },
  },
  validateResource: validateResourceOfType(aws.scheduler.Schedule, (schedule, args, reportViolation) => {
    const minimum = numberOr(
      args.getConfig<ScheduleRetryAndDlqConfig>().minimumRetryAttempts,
      DEFAULT_MINIMUM_RETRY_ATTEMPTS,
    );
    const target: unknown = unproxy(schedule).target;
    if (!isRecord(target)) {
      return;
    }
    const retry = target.retryPolicy;
    // Unset means the scheduler's default of 185 attempts; unknown is checked again by `pulumi up`.
    const attempts = isRecord(retry) ? retry.maximumRetryAttempts : undefined;
    if (!isRecord(retry)) {
      reportViolation(
        `Add target.retryPolicy: { maximumRetryAttempts: ${Math.max(minimum, 3)}, maximumEventAgeInSeconds: 3600 } ` +
          "so a throttled or failed start is retried (without it the scheduler's defaults apply silently).",
      );
    } else if (typeof attempts === "number" && attempts < minimum) {
      reportViolation(
        `target.retryPolicy.maximumRetryAttempts is ${String(attempts)}; set it to at least ${minimum}.`,
      );
    }
    const dlq = target.deadLetterConfig;
    // An unknown ARN (the queue is created in the same preview) is a queue: only absence fails.
    if (!isRecord(dlq) || typeof dlq.arn !== "string" || dlq.arn === "") {
      reportViolation(
        "Add target.deadLetterConfig: { arn: <SQS queue ARN> } (and let the schedule's role send to it) so " +
          "invocations that still fail after the retries are kept and alarmed on.",
      );
    }
  }),
};
