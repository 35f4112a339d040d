/**
 * CloudWatch alarms to the alerts topic — failed jobs, failed restore drills, dead letters, ALB 5xx,
 * unhealthy service —
 * and, when the Slack team and channel are configured, AWS Chatbot relaying that topic to Slack
 * with its own role and a read-only guardrail (never Chatbot's default AdministratorAccess).
 *
 * Failed jobs are counted by a metric filter on the container log group: every job logs its
 * result event as one JSON line, so `{ $.status = "FAILED" }` needs no metric code in the runtime
 * and also counts failures of jobs that could not publish their event. The metric's namespace is
 * the stack's own (`DroxBackup/<stack>`, naming.ts): stacks in one account never count each
 * other's failures. The runtime publishes no metric itself, so nothing there needs the namespace.
 *
 * Only CloudWatch alarms publish to the alerts topic (its policy admits cloudwatch.amazonaws.com
 * alone) and only Chatbot reads it. The program publishes nothing there itself — the jobs' events
 * go to the events topic and reach Slack through the slackNotifier Lambda — so no message needs
 * Chatbot's custom-notification format. Publishing anything else there would need that format,
 * or Chatbot drops it; test/infra-alerting.spec.ts fails when another resource references the topic.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "./iam";
import { metricNamespace, metricNamespaceProblem, stackScoped } from "./naming";

export const FAILED_JOBS_METRIC = "FailedJobs";
export const FAILED_JOBS_PATTERN = '{ $.status = "FAILED" }';
export const FAILED_DRILLS_METRIC = "FailedDrills";
/**
 * A restore drill logs one line when it ends, `drillStatus` its outcome (runtime/drills/index.ts);
 * the drill's per-kind lines say `outcome`, so neither is counted as a failed backup job above.
 */
export const FAILED_DRILLS_PATTERN = '{ $.drillStatus = "FAILED" }';
export const READ_ONLY_GUARDRAIL = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const CHATBOT_ROLE_POLICY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess";

export interface AlertingArgs {
  /** The alerts topic every alarm notifies. */
  readonly alertsTopicArn: pulumi.Input<string>;
  /** Container log group the jobs log their results to. */
  readonly jobLogGroupName: pulumi.Input<string>;
  /** Dead-letter queues to watch, by role (e.g. `slack`). */
  readonly deadLetterQueues: Readonly<Record<string, pulumi.Input<string>>>;
  /** ALB and target group ARN suffixes (CloudWatch dimensions). */
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  /** ALB target 5xx responses per 5 minutes that raise the alarm. @default 5 */
  readonly http5xxThreshold?: number;
  /** AWS Chatbot's Slack workspace and channel; unset skips Chatbot. @default undefined */
  readonly chatbot?: { readonly slackTeamId: string; readonly slackChannelId: string };
  /** Chatbot configuration name (unique per account). @default `<name>-<stack>` */
  readonly chatbotConfigurationName?: string;
  /**
   * Namespace of the failed-jobs metric, unique per stack: alarms of one stack must not count
   * another stack's failures. @default `DroxBackup/<stack>`
   */
  readonly metricNamespace?: string;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

export class Alerting extends pulumi.ComponentResource {
  /** Alarm names, by role. */
  public readonly alarmNames: Record<string, pulumi.Output<string>>;
  /** Whether Chatbot relays the alerts topic to Slack. */
  public readonly chatbotEnabled: boolean;

  constructor(name: string, args: AlertingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:alerting:Alerting", name, {}, opts);
    const http5xxThreshold = args.http5xxThreshold ?? 5;
    const tags = args.tags ?? {};
    const namespace = args.metricNamespace ?? metricNamespace();
    const namespaceProblem = metricNamespaceProblem(namespace);
    if (namespaceProblem) throw new Error(`Alerting: metricNamespace ${namespaceProblem}`);
    const actions = [args.alertsTopicArn];
    const alarmNames: Record<string, pulumi.Output<string>> = {};
    const alarm = (
      role: string,
      alarmArgs: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "tags">,
    ) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${role}`,
        { ...alarmArgs, alarmActions: actions, okActions: actions, tags },
        { parent: this },
      );
      alarmNames[role] = created.name;
    };

    new aws.cloudwatch.LogMetricFilter(
      `${name}-failed-jobs-filter`,
      {
        logGroupName: args.jobLogGroupName,
        pattern: FAILED_JOBS_PATTERN,
        metricTransformation: {
          namespace,
          name: FAILED_JOBS_METRIC,
          value: "1",
          defaultValue: "0",
        },
      },
      { parent: this },
    );
    alarm("failed-jobs", {
      alarmDescription: "A backup job failed (a FAILED result in the job logs)",
      namespace,
      metricName: FAILED_JOBS_METRIC,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    // Drills run on a schedule (drillEnabled) or by hand on any stack, so the alarm is always there.
    new aws.cloudwatch.LogMetricFilter(
      `${name}-failed-drills-filter`,
      {
        logGroupName: args.jobLogGroupName,
        pattern: FAILED_DRILLS_PATTERN,
        metricTransformation: { namespace, name: FAILED_DRILLS_METRIC, value: "1", defaultValue: "0" },
      },
      { parent: this },
    );
    alarm("failed-drills", {
      alarmDescription:
        "A restore drill failed: a backup could not be restored, or not within its deadline (the drill's Slack message names the resource)",
      namespace,
      metricName: FAILED_DRILLS_METRIC,
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    for (const [role, queueName] of Object.entries(args.deadLetterQueues)) {
      alarm(`${role}-dlq-depth`, {
        alarmDescription: `Messages are waiting in the ${role} dead-letter queue: fix the cause, then run \`drox-backup redrive --queue ${role}\` (README: Dead-letter recovery)`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queueName },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
    }
    alarm("alb-5xx", {
      alarmDescription: "The HTTP service answers with 5xx errors",
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_Target_5XX_Count",
      dimensions: { LoadBalancer: args.loadBalancerArnSuffix },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: http5xxThreshold,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    alarm("unhealthy-hosts", {
      alarmDescription: "The HTTP service has unhealthy tasks behind the ALB",
      namespace: "AWS/ApplicationELB",
      metricName: "UnHealthyHostCount",
      dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.targetGroupArnSuffix },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 3,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });

    if (args.chatbot) {
      const role = new aws.iam.Role(
        `${name}-chatbot-role`,
        { assumeRolePolicy: assumeRolePolicy("chatbot.amazonaws.com"), tags },
        { parent: this },
      );
      new aws.iam.RolePolicyAttachment(
        `${name}-chatbot-read`,
        { role: role.name, policyArn: CHATBOT_ROLE_POLICY },
        { parent: this },
      );
      new aws.chatbot.SlackChannelConfiguration(
        `${name}-chatbot`,
        {
          // Stryker disable next-line LogicalOperator: the one caller, index.ts, passes `${name}-${settings.stack}`, which is stackScoped(name) (settings.stack is the Pulumi stack), so && names the same configuration
          configurationName: args.chatbotConfigurationName ?? stackScoped(name),
          iamRoleArn: role.arn,
          slackTeamId: args.chatbot.slackTeamId,
          slackChannelId: args.chatbot.slackChannelId,
          snsTopicArns: [args.alertsTopicArn],
          guardrailPolicyArns: [READ_ONLY_GUARDRAIL],
          loggingLevel: "ERROR",
          tags,
        },
        { parent: this },
      );
    } else {
      pulumi.log.info(
        "AWS Chatbot skipped: slackTeamId and slackChannelId are not set, so CloudWatch alarms reach the alerts " +
          "topic but not Slack. Authorize the workspace in the Chatbot console, then set both keys.",
        this,
      );
    }

    this.alarmNames = alarmNames;
    this.chatbotEnabled = args.chatbot !== undefined;
    this.registerOutputs({ alarmNames, chatbotEnabled: this.chatbotEnabled });
  }
}
