/**
 * `drox-backup redrive [--queue slack|notion|schedules|all] [--dry-run] [--max N] [--json]`: sends
 * what the dead-letter queues hold again — events to the events topic (only to the subscriber that
 * failed), scheduled jobs to ECS as their schedule would have started them — and deletes each
 * message once that succeeded. One line per message. Queue URLs come from SLACK_DLQ_URL,
 * NOTION_DLQ_URL and SCHEDULES_DLQ_URL (stack outputs), the topic from EVENTS_TOPIC_ARN.
 * Exit 0 when every message was sent (or would be, with --dry-run), 1 when any was left.
 */
import { Option, InvalidArgumentError, type Command } from "commander";
import { DEFAULT_MAX, QUEUE_URL_VARIABLES, QUEUES, type QueueName } from "../ops/queues";
import type { LetterOutcome } from "../ops/redrive";
import { EXIT, type CliIo } from "./io";

/* eslint-disable @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts) */
/** What a redrive runs with — the SQS, SNS, Scheduler and ECS clients — loaded when it runs. */
function redriveModules() {
  return {
    clients: require("../ops/clients") as typeof import("../ops/clients.js"),
    settings: require("../settings/jobs") as typeof import("../settings/jobs.js"),
    relaunch: require("../ops/relaunch") as typeof import("../ops/relaunch.js"),
    redrive: require("../ops/redrive") as typeof import("../ops/redrive.js"),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */

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
      const { clients, settings: jobSettings, relaunch, redrive } = redriveModules();
      const settings = jobSettings.readJobSettings(io.env);
      const queues = redrive.queuesFromEnv(opts.queue, io.env);
      for (const name of QUEUES)
        if (opts.queue === "all" && !queues.some((q) => q.name === name))
          io.err(`${QUEUE_URL_VARIABLES[name]} is not set: the ${name} queue is skipped`);
      const aws = clients.createRedriveClients(settings.region);
      const outcomes = await redrive.redrive(
        {
          queues,
          dryRun: opts.dryRun,
          max: opts.max,
          timeZone: settings.displayTimeZone,
        },
        {
          sqs: aws.sqs,
          sns: aws.sns,
          eventsTopicArn: settings.eventsTopicArn,
          launcher: new relaunch.EcsJobLauncher(aws.scheduler, aws.ecs),
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
