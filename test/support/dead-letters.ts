/**
 * Dead letters as AWS writes them, for the redrive specs: an SNS event, Lambda's on-failure
 * invocation record, Scheduler's dead-letter attributes and input.
 */
export const TOPIC = "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events";
export const SCHEDULE = "arn:aws:scheduler:ap-northeast-2:123456789012:schedule/default/drox-backup-ebs";

/** The SNS event a Lambda subscriber receives, as the invocation record's requestPayload. */
export function snsEvent(...messages: string[]) {
  return {
    Records: messages.map((Message, i) => ({
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: `${TOPIC}:sub`,
      Sns: { Type: "Notification", MessageId: `m-${i}`, TopicArn: TOPIC, Message, Timestamp: "x" },
    })),
  };
}

/**
 * Lambda's on-failure invocation record, as documented:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export function invocationRecord(payload: unknown): string {
  return JSON.stringify({
    version: "1.0",
    timestamp: "2024-11-04T00:00:45.000Z",
    requestContext: {
      requestId: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
      functionArn: "arn:aws:lambda:ap-northeast-2:123456789012:function:drox-backup-slack:$LATEST",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "DroxError", errorMessage: "slack: 1 of 1 record(s) failed" },
  });
}

/** Scheduler's dead-letter attributes, as documented (configuring-schedule-dlq.html). */
export function schedulerAttributes(overrides: Record<string, string> = {}) {
  const values: Record<string, string> = {
    ERROR_CODE: "ECS.ThrottlingException",
    ERROR_MESSAGE: "Rate exceeded",
    EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
    IS_PAYLOAD_TRUNCATED: "false",
    RETRY_ATTEMPTS: "3",
    SCHEDULED_TIME: "2024-11-03T00:00:00Z",
    SCHEDULE_ARN: SCHEDULE,
    TARGET_ARN: "arn:aws:ecs:ap-northeast-2:123456789012:cluster/drox-backup",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
  );
}

export const schedulerInput = (command: string[]) =>
  JSON.stringify({ containerOverrides: [{ name: "drox-backup", command }] });
