/**
 * Redrive of the dead-letter queues: read each message, find the original event (or the scheduled
 * job) in whatever shape it has, send it again, and delete the message only once that succeeded.
 * What cannot be read or sent stays in the queue, visible again at the end of the run, and is
 * named in the outcome. Sending again is safe: the Notion logger is idempotent on the event id, and
 * a republished event reaches only the subscriber whose dead letter it was (./routing.ts).
 *
 * A run receives with a visibility timeout so that messages it leaves are not read twice within
 * the run; it stops when the queue returns nothing new, or after `max` messages.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { ConfigError } from "../contract/errors";
import { eventId, parseEvent, type DroxEvent } from "../contract/events";
import { formatDate } from "../contract/time";
import { redactText } from "../logging/redact";
import { attributesOf, subjectOf } from "../publishing/sns";
import { readDeadLetter, type LetterShape, type ScheduledJobLetter } from "./dead-letters";
import { DEFAULT_MAX, QUEUES, QUEUE_URL_VARIABLES, type QueueName } from "./queues";
import type { JobLauncher } from "./relaunch";
import { REDRIVE_ATTRIBUTE, type Subscriber } from "./routing";

export { DEFAULT_MAX, QUEUES, QUEUE_URL_VARIABLES, type QueueName } from "./queues";

/** The subscriber a queue's events are redriven to; the schedules queue holds jobs. */
const SUBSCRIBER_OF: Readonly<Record<QueueName, Subscriber | undefined>> = {
  slack: "slack",
  notion: "notion",
  schedules: undefined,
};

export type Action =
  "republished" | "relaunched" | "would republish" | "would relaunch" | "left: unreadable" | "left: failed";

export interface LetterOutcome {
  readonly queue: QueueName;
  readonly messageId: string;
  readonly action: Action;
  readonly shape?: LetterShape;
  /** Event ids (job, report, check) the message carried. */
  readonly eventIds?: readonly string[];
  /** The job command, for a scheduler dead letter. */
  readonly command?: readonly string[];
  /** SNS message ids or the ECS task ARN of what was sent, or why the message was left. */
  readonly detail: string;
}

export interface RedriveOptions {
  readonly queues: readonly { readonly name: QueueName; readonly url: string }[];
  readonly dryRun?: boolean;
  /** Messages to handle per queue. @default 100 */
  readonly max?: number;
  /** DISPLAY_TIME_ZONE: the weekly report re-run covers the week it was scheduled for. */
  readonly timeZone: string;
  /** Seconds a received message stays hidden from this run. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface RedriveDeps {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly eventsTopicArn?: string;
  readonly launcher: JobLauncher;
  /** Called once per message as soon as it is handled. */
  readonly onOutcome?: (outcome: LetterOutcome) => void;
}

/** The queues `--queue` names, each with its URL from the environment; names the missing variable. */
export function queuesFromEnv(
  choice: QueueName | "all",
  env: NodeJS.ProcessEnv,
): { name: QueueName; url: string }[] {
  const names = choice === "all" ? QUEUES : [choice];
  const found = names.flatMap((name) => {
    const url = env[QUEUE_URL_VARIABLES[name]]?.trim();
    return url ? [{ name, url }] : [];
  });
  const missing = names.filter((name) => !found.some((q) => q.name === name));
  if (choice !== "all" && missing.length > 0)
    throw new ConfigError(
      `${QUEUE_URL_VARIABLES[choice]} is not set: set it to the stack output ${choice}DlqUrl (the ${choice} dead-letter queue's URL)`,
    );
  if (found.length === 0)
    throw new ConfigError(
      `no dead-letter queue URL is set: set ${QUEUES.map((q) => QUEUE_URL_VARIABLES[q]).join(", ")} (stack outputs slackDlqUrl, notionDlqUrl, schedulesDlqUrl)`,
    );
  return found;
}

/**
 * A weekly report re-run later must still cover the week it was scheduled for: pin its date
 * (`--week`, in the display zone) to when the schedule fired. Other jobs run as they were.
 */
export function pinScheduledDate(job: ScheduledJobLetter, timeZone: string): ScheduledJobLetter {
  const isWeekly = job.command[0] === "report" && job.command[1] === "weekly";
  if (!isWeekly || job.command.includes("--week") || !job.scheduledTime) return job;
  if (Number.isNaN(Date.parse(job.scheduledTime))) return job;
  const command = [...job.command, "--week", formatDate(job.scheduledTime, timeZone)];
  const containers = (job.overrides.containerOverrides as Record<string, unknown>[]).map((c) =>
    c.command ? { ...c, command } : c,
  );
  return { ...job, command, overrides: { ...job.overrides, containerOverrides: containers } };
}

async function republish(
  sns: SNSClient,
  topicArn: string,
  event: DroxEvent,
  subscriber: Subscriber | undefined,
): Promise<string> {
  const valid = parseEvent(event);
  const out = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify(valid),
      Subject: subjectOf(valid),
      MessageAttributes: {
        ...attributesOf(valid),
        ...(subscriber ? { [REDRIVE_ATTRIBUTE]: { DataType: "String", StringValue: subscriber } } : {}),
      },
    }),
  );
  return out.MessageId ?? "";
}

function reasonOf(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}

async function handle(
  queue: QueueName,
  message: Message,
  options: RedriveOptions,
  deps: RedriveDeps,
): Promise<{ outcome: LetterOutcome; delete: boolean }> {
  const messageId = message.MessageId ?? "(no id)";
  const letter = readDeadLetter(message.Body, message.MessageAttributes ?? {});
  if (letter.kind === "unreadable")
    return {
      outcome: { queue, messageId, action: "left: unreadable", detail: letter.reason },
      delete: false,
    };
  if (letter.kind === "job") {
    const job = pinScheduledDate(letter.job, options.timeZone);
    const base = { queue, messageId, shape: letter.shape, command: job.command };
    if (options.dryRun)
      return { outcome: { ...base, action: "would relaunch", detail: job.scheduleArn }, delete: false };
    try {
      const task = await deps.launcher.launch(job);
      return { outcome: { ...base, action: "relaunched", detail: task }, delete: true };
    } catch (error) {
      return { outcome: { ...base, action: "left: failed", detail: reasonOf(error) }, delete: false };
    }
  }
  const eventIds = letter.events.map(eventId);
  const base = { queue, messageId, shape: letter.shape, eventIds };
  if (options.dryRun)
    return { outcome: { ...base, action: "would republish", detail: "dry run" }, delete: false };
  if (!deps.eventsTopicArn)
    return {
      outcome: { ...base, action: "left: failed", detail: "EVENTS_TOPIC_ARN is not set" },
      delete: false,
    };
  try {
    const ids: string[] = [];
    for (const event of letter.events)
      ids.push(await republish(deps.sns, deps.eventsTopicArn, event, SUBSCRIBER_OF[queue]));
    return { outcome: { ...base, action: "republished", detail: ids.join(", ") }, delete: true };
  } catch (error) {
    // Events of this message already republished are sent again next time: delivery is idempotent.
    return { outcome: { ...base, action: "left: failed", detail: reasonOf(error) }, delete: false };
  }
}

async function redriveQueue(
  queue: { name: QueueName; url: string },
  options: RedriveOptions,
  deps: RedriveDeps,
): Promise<LetterOutcome[]> {
  const max = options.max ?? DEFAULT_MAX;
  const outcomes: LetterOutcome[] = [];
  const seen = new Set<string>();
  const left: string[] = [];
  try {
    while (outcomes.length < max) {
      const out = await deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, max - outcomes.length),
          WaitTimeSeconds: 0,
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
          MessageAttributeNames: ["All"],
        }),
      );
      const fresh = (out.Messages ?? []).filter((m) => !seen.has(m.MessageId ?? ""));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        if (outcomes.length >= max) {
          left.push(message.ReceiptHandle ?? "");
          continue;
        }
        seen.add(message.MessageId ?? "");
        const { outcome, delete: remove } = await handle(queue.name, message, options, deps);
        if (remove)
          await deps.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
          );
        else left.push(message.ReceiptHandle ?? "");
        outcomes.push(outcome);
        deps.onOutcome?.(outcome);
      }
    }
  } finally {
    // What stays in the queue is visible again at once, for the next run or the console.
    for (const handle of left.filter(Boolean))
      await deps.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        }),
      );
  }
  return outcomes;
}

/** Redrives every queue in turn; resolves with one outcome per message handled. */
export async function redrive(options: RedriveOptions, deps: RedriveDeps): Promise<LetterOutcome[]> {
  if (!options.dryRun && !deps.eventsTopicArn && options.queues.some((q) => SUBSCRIBER_OF[q.name]))
    throw new ConfigError(
      "EVENTS_TOPIC_ARN is not set: redriven events are republished to the events topic (stack output eventsTopicArn)",
    );
  const outcomes: LetterOutcome[] = [];
  for (const queue of options.queues) outcomes.push(...(await redriveQueue(queue, options, deps)));
  return outcomes;
}
