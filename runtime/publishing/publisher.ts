/**
 * Publishing events: every result, report and check goes to the events topic, validated first
 * with the one schema module. The SNS implementation lives in ./publisher-sns.
 */
import type { DroxEvent } from "../contract/events";

export interface EventPublisher {
  /** Validates and publishes; resolves with the message id. Throws on invalid events or failure. */
  publish(event: DroxEvent): Promise<string>;
}
