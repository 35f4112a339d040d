/**
 * Who gets a redriven event. Both notification Lambdas subscribe to the one events topic, so an
 * event republished after the Notion logger failed would reach the Slack notifier again, and Slack
 * would post it twice (a webhook has no idempotency key). A redrive therefore marks the event with
 * the subscriber it is meant for, and each subscription's filter policy takes unmarked events (every
 * first delivery) and the events marked for it, nothing else.
 *
 * Attribute key matching (`{"exists": false}`) and OR within a key's value list:
 * https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
 * https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
 */
export const SUBSCRIBERS = ["slack", "notion"] as const;
export type Subscriber = (typeof SUBSCRIBERS)[number];

/** String message attribute a redrive sets on the events it republishes. */
export const REDRIVE_ATTRIBUTE = "redriveTo";

/** The filter policy (scope MessageAttributes) of a subscriber's subscription to the events topic. */
export function subscriberFilterPolicy(subscriber: Subscriber): Record<string, unknown[]> {
  return { [REDRIVE_ATTRIBUTE]: [{ exists: false }, subscriber] };
}
