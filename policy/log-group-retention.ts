import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isUnknownValue, numberOr, unproxy } from "./lib/values";

interface LogGroupRetentionConfig {
  minimumRetentionDays?: number;
  maximumRetentionDays?: number;
}

const DEFAULT_MINIMUM_RETENTION_DAYS = 7;
const DEFAULT_MAXIMUM_RETENTION_DAYS = 731;
// The values CloudWatch Logs accepts (PutRetentionPolicy); anything else fails at deploy time.
const ALLOWED_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const logGroupRetention: ResourceValidationPolicy = {
  name: "log-group-retention",
  description:
    "CloudWatch log groups expire their logs: retentionInDays is set, within the configured bounds " +
    "(0 or unset keeps logs, and their cost, forever).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumRetentionDays: {
        type: "integer",
        minimum: 1,
        description: "Shortest retention allowed, long enough to investigate an incident.",
        default: DEFAULT_MINIMUM_RETENTION_DAYS,
      },
      maximumRetentionDays: {
        type: "integer",
        minimum: 1,
        description: "Longest retention allowed.",
        default: DEFAULT_MAXIMUM_RETENTION_DAYS,
      },
    },
  },
  validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, (group, args, reportViolation) => {
    const config = args.getConfig<LogGroupRetentionConfig>();
    const min = numberOr(config.minimumRetentionDays, DEFAULT_MINIMUM_RETENTION_DAYS);
    const max = numberOr(config.maximumRetentionDays, DEFAULT_MAXIMUM_RETENTION_DAYS);
    const days: unknown = unproxy(group).retentionInDays;
    // Computed from config in the same preview: `pulumi up` checks the resolved number.
    if (isUnknownValue(days)) {
      return;
    }
    const choices = ALLOWED_RETENTION_DAYS.filter((d) => d >= min && d <= max).join(", ");
    if (typeof days !== "number" || days === 0) {
      reportViolation(`Set retentionInDays (one of ${choices}); without it the logs are kept forever.`);
    } else if (days < min || days > max) {
      reportViolation(
        `retentionInDays is ${days}, outside the allowed ${min}–${max} days: use one of ${choices}.`,
      );
    }
  }),
};
