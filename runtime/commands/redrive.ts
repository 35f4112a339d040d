/**
 * `drox-backup redrive [--queue slack|notion|schedules|all] [--dry-run] [--max N] [--json]`: sends
 * what the dead-letter queues hold again — events to the events topic (only to the subscriber that
 * failed), scheduled jobs to ECS as their schedule would have started them — and deletes each
 * message once that succeeded. One line per message. Queue URLs come from SLACK_DLQ_URL,
 * NOTION_DLQ_URL and SCHEDULES_DLQ_URL (stack outputs), the topic from EVENTS_TOPIC_ARN.
 * Exit 0 when every message was sent (or would be, with --dry-run), 1 when any was left.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SQSClient } from "@aws-sdk/client-sqs";
import { Option, InvalidArgumentError, type Command } from "commander";
import { clientConfig, createSnsClient } from "../aws/clients";
import { readJobSettings } from "../settings/jobs";
import { EcsJobLauncher } from "../ops/relaunch";
import {
  DEFAULT_MAX,
  QUEUE_URL_VARIABLES,
  QUEUES,
  queuesFromEnv,
  redrive,
  type LetterOutcome,
  type QueueName,
} from "../ops/redrive";
import { EXIT, type CliIo } from "./io";

function parseMax(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000)
    throw new InvalidArgumentError("must be a whole number from 1 to 10000");
  return n;
}

export function describeOutcome(o: LetterOutcome): string {
  const what = o.eventIds
    ? `${o.shape} ${o.eventIds.join(", ")}`
    : o.command
      ? `${o.shape} \`${o.command.join(" ")}\``
      : "";
  return [o.queue.padEnd(9), o.action.padEnd(16), o.messageId, what, `→ ${o.detail}`]
    .filter(Boolean)
    .join("  ");
}

export function registerRedriveCommand(program: Command, io: CliIo): void {
  program
    .command("redrive")
    .description(
      "send the dead-letter queues' events and scheduled jobs again, deleting each message once sent",
    )
    .addOption(
      new Option("--queue <queue>", "which dead-letter queue").choices([...QUEUES, "all"]).default("all"),
    )
    .option("--dry-run", "read and print what would be sent; change nothing")
    .option("--max <n>", `messages to handle per queue (default ${DEFAULT_MAX})`, parseMax)
    .option("--json", "print the outcomes as JSON")
    .action(async (opts: { queue: QueueName | "all"; dryRun?: boolean; max?: number; json?: boolean }) => {
      const settings = readJobSettings(io.env);
      const queues = queuesFromEnv(opts.queue, io.env);
      for (const name of QUEUES)
        if (opts.queue === "all" && !queues.some((q) => q.name === name))
          io.err(`${QUEUE_URL_VARIABLES[name]} is not set: the ${name} queue is skipped`);
      const config = clientConfig({ region: settings.region });
      const outcomes = await redrive(
        {
          queues,
          dryRun: opts.dryRun,
          max: opts.max,
          timeZone: settings.displayTimeZone,
        },
        {
          sqs: new SQSClient(config),
          sns: createSnsClient({ region: settings.region }),
          eventsTopicArn: settings.eventsTopicArn,
          launcher: new EcsJobLauncher(new SchedulerClient(config), new ECSClient(config)),
          onOutcome: opts.json ? undefined : (o) => io.out(describeOutcome(o)),
        },
      );
      const left = outcomes.filter((o) => o.action.startsWith("left"));
      if (opts.json) {
        io.out(JSON.stringify(outcomes, null, 2));
      } else {
        for (const queue of queues)
          if (!outcomes.some((o) => o.queue === queue.name)) io.out(`${queue.name.padEnd(9)}  empty`);
        const sent = outcomes.length - left.length;
        io.out(
          `${outcomes.length} message(s): ${sent} ${opts.dryRun ? "would be sent" : "sent and deleted"}, ${left.length} left in the queue${left.length > 0 ? " (named above)" : ""}.`,
        );
      }
      io.exitCode = Math.max(io.exitCode, left.length > 0 ? EXIT.FAILED : EXIT.OK);
    });
}
