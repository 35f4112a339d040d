/**
 * AWS Chatbot forwards to Slack only messages it understands: CloudWatch alarm notifications and
 * "custom notifications". Anything else published to the alerts topic is dropped silently, so
 * whatever the program or the runtime publishes there goes through this helper. Pure, no Pulumi:
 * runtime code may import it (or copy it into runtime/ if it must not reach into components/).
 *
 * Format: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
export interface ChatbotNotification {
  /** Shown in bold at the top; Slack markdown allowed. */
  readonly title: string;
  /** The body; Slack markdown allowed. */
  readonly description: string;
  /** Bullet points shown under "Next steps". */
  readonly nextSteps?: readonly string[];
  /** Keywords shown as tags. */
  readonly keywords?: readonly string[];
  /** Chatbot deduplicates notifications with the same thread id into one Slack thread. */
  readonly threadId?: string;
}

/** The JSON message body to publish on the alerts topic. */
export function chatbotCustomNotification(notification: ChatbotNotification): string {
  return JSON.stringify({
    version: "1.0",
    source: "custom",
    ...(notification.threadId ? { id: notification.threadId } : {}),
    content: {
      textType: "client-markdown",
      title: notification.title,
      description: notification.description,
      ...(notification.nextSteps?.length ? { nextSteps: notification.nextSteps } : {}),
      ...(notification.keywords?.length ? { keywords: notification.keywords } : {}),
    },
  });
}
