/**
 * What a dead-letter message holds, whatever put it in the queue. Three writers, three shapes:
 *
 * - SNS, when it cannot deliver to a subscription (subscription redrive policy): the message as
 *   published, or the SNS JSON envelope (`Type: "Notification"`, `Message`) around it.
 *   https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
 * - Lambda, when an asynchronous invocation fails after its retries (on-failure destination): an
 *   invocation record `{ version, timestamp, requestContext: { condition, … }, requestPayload,
 *   responseContext, responsePayload }` whose requestPayload is the SNS event the function got, so
 *   the drox events are `requestPayload.Records[].Sns.Message`.
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * - EventBridge Scheduler, when it cannot start the target: the body is the target's input (for an
 *   ECS target, RunTask's overrides with the job's command) and the message attributes say which
 *   schedule and why: SCHEDULE_ARN, TARGET_ARN, SCHEDULED_TIME, ERROR_CODE, ERROR_MESSAGE,
 *   RETRY_ATTEMPTS, EXHAUSTED_RETRY_CONDITION, IS_PAYLOAD_TRUNCATED.
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
 *
 * Pure: no AWS calls, so every shape is tested from literal messages.
 */
import { z } from "zod";
import { parseEvent, type DroxEvent } from "../contract/events";

export type LetterShape = "sns-message" | "sns-envelope" | "lambda-destination" | "scheduler";

/** The scheduled job a Scheduler dead letter stands for. */
export interface ScheduledJobLetter {
  /** The job command as the schedule passes it to the container, e.g. ["run", "ebs"]. */
  readonly command: readonly string[];
  /** RunTask overrides exactly as the schedule's input had them. */
  readonly overrides: Record<string, unknown>;
  readonly scheduleArn: string;
  /** When the schedule fired (ISO 8601), if Scheduler said. */
  readonly scheduledTime?: string;
  /** Why Scheduler gave up, e.g. "ThrottlingException: Rate exceeded". */
  readonly error?: string;
}

export type DeadLetter =
  | { readonly kind: "events"; readonly shape: LetterShape; readonly events: readonly DroxEvent[] }
  | { readonly kind: "job"; readonly shape: "scheduler"; readonly job: ScheduledJobLetter }
  | { readonly kind: "unreadable"; readonly reason: string };

/** String message attributes as SQS's ReceiveMessage returns them. */
export type LetterAttributes = Readonly<Record<string, { readonly StringValue?: string } | undefined>>;

const SnsEnvelope = z.object({ Type: z.literal("Notification"), Message: z.string() });

const InvocationRecord = z.object({
  requestContext: z.object({ functionArn: z.string().optional(), condition: z.string().optional() }),
  requestPayload: z.object({
    Records: z.array(z.object({ Sns: z.object({ Message: z.string() }) })).min(1),
  }),
});

const EcsOverrides = z
  .object({
    containerOverrides: z
      .array(z.object({ name: z.string().optional(), command: z.array(z.string()).min(1).optional() }))
      .min(1),
  })
  .loose();

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The validation message only: it names fields, never values. */
function problem(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function eventsFrom(texts: readonly string[], shape: LetterShape): DeadLetter {
  const events: DroxEvent[] = [];
  for (const [i, text] of texts.entries()) {
    const parsed = parseJson(text);
    if (!parsed.ok) return { kind: "unreadable", reason: `${shape}: message ${i + 1} is not JSON` };
    try {
      events.push(parseEvent(parsed.value));
    } catch (error) {
      return { kind: "unreadable", reason: `${shape}: ${problem(error)}` };
    }
  }
  return { kind: "events", shape, events };
}

function attribute(attributes: LetterAttributes, name: string): string | undefined {
  const value = attributes[name]?.StringValue;
  return value === undefined || value === "" ? undefined : value;
}

function schedulerLetter(body: unknown, attributes: LetterAttributes, scheduleArn: string): DeadLetter {
  if (attribute(attributes, "IS_PAYLOAD_TRUNCATED") === "true")
    return {
      kind: "unreadable",
      reason: "scheduler: Scheduler truncated the payload (IS_PAYLOAD_TRUNCATED)",
    };
  const overrides = EcsOverrides.safeParse(body);
  const command = overrides.success
    ? overrides.data.containerOverrides.find((c) => c.command)?.command
    : undefined;
  if (!overrides.success || !command)
    return { kind: "unreadable", reason: "scheduler: the input has no containerOverrides[].command" };
  const code = attribute(attributes, "ERROR_CODE");
  const message = attribute(attributes, "ERROR_MESSAGE");
  const scheduledTime = attribute(attributes, "SCHEDULED_TIME");
  return {
    kind: "job",
    shape: "scheduler",
    job: {
      command,
      overrides: overrides.data,
      scheduleArn,
      ...(scheduledTime ? { scheduledTime } : {}),
      ...(code || message ? { error: [code, message].filter(Boolean).join(": ") } : {}),
    },
  };
}

/** Reads one dead-letter message; never throws. */
export function readDeadLetter(body: string | undefined, attributes: LetterAttributes = {}): DeadLetter {
  const parsed = parseJson(body ?? "");
  const scheduleArn = attribute(attributes, "SCHEDULE_ARN");
  if (scheduleArn) {
    if (!parsed.ok) return { kind: "unreadable", reason: "scheduler: the input is not JSON" };
    return schedulerLetter(parsed.value, attributes, scheduleArn);
  }
  if (!parsed.ok) return { kind: "unreadable", reason: "the body is not JSON" };
  const value = parsed.value;
  const record = InvocationRecord.safeParse(value);
  if (record.success)
    return eventsFrom(
      record.data.requestPayload.Records.map((r) => r.Sns.Message),
      "lambda-destination",
    );
  const envelope = SnsEnvelope.safeParse(value);
  if (envelope.success) return eventsFrom([envelope.data.Message], "sns-envelope");
  if (typeof value === "object" && value !== null && "schema" in value)
    return eventsFrom([body ?? ""], "sns-message");
  if (typeof value === "object" && value !== null && "requestContext" in value)
    return { kind: "unreadable", reason: "lambda-destination: the record carries no SNS request payload" };
  return {
    kind: "unreadable",
    reason: "neither a drox event, an SNS envelope, a Lambda invocation record nor a Scheduler dead letter",
  };
}
