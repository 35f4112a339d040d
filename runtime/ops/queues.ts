/**
 * The dead-letter queues redrive reads, without the SQS and SNS clients: `drox-backup redrive`
 * offers them as choices when it registers, and `--help` must not load the AWS SDK
 * (./redrive.ts re-exports them).
 */
export const QUEUES = ["slack", "notion", "schedules"] as const;
export type QueueName = (typeof QUEUES)[number];

/** Where each queue's URL comes from (stack outputs slackDlqUrl, notionDlqUrl, schedulesDlqUrl). */
export const QUEUE_URL_VARIABLES: Readonly<Record<QueueName, string>> = {
  slack: "SLACK_DLQ_URL",
  notion: "NOTION_DLQ_URL",
  schedules: "SCHEDULES_DLQ_URL",
};

/** Messages handled per queue in one run unless `--max` says otherwise. */
export const DEFAULT_MAX = 100;
