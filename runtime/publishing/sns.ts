/**
 * Publishes events to the SNS events topic. Every event is validated with the one schema module
 * first; message attributes let subscriptions filter (the alerts route subscribes to FAILED
 * results and problem checks) without parsing the body.
 */
import { PublishCommand, type MessageAttributeValue, type SNSClient } from "@aws-sdk/client-sns";
import { ConfigError } from "../contract/errors";
import { parseEvent, type DroxEvent } from "../contract/events";
import type { EventPublisher } from "./publisher";

/** SNS subjects must be ASCII, without line breaks, under 100 characters. */
export function subjectOf(event: DroxEvent): string {
  let subject: string;
  switch (event.schema) {
    case "backup.result.v1":
      subject = `drox-backup ${event.type} ${event.status}: ${event.resource}`;
      break;
    case "backup.report.v1":
      subject = `drox-backup weekly report ${event.periodEnd.slice(0, 10)}`;
      break;
    case "backup.check.v1":
      subject = `drox-backup integrity check ${event.status}`;
      break;
    case "backup.drill.v1":
      subject = `drox-backup restore drill ${event.status}`;
      break;
    case "backup.restore.v1":
      subject = `drox-backup restore ${event.type} ${event.status}: ${event.target}`;
      break;
    case "backup.monthly-report.v1":
      subject = `drox-backup monthly report ${event.month}`;
      break;
  }
  const ascii = subject.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii;
}

export function attributesOf(event: DroxEvent): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    schema: { DataType: "String", StringValue: event.schema },
  };
  if (event.schema === "backup.result.v1") {
    attributes.status = { DataType: "String", StringValue: event.status };
    attributes.type = { DataType: "String", StringValue: event.type };
  } else if (event.schema === "backup.check.v1") {
    attributes.status = { DataType: "String", StringValue: event.status };
  } else if (event.schema === "backup.drill.v1") {
    attributes.status = { DataType: "String", StringValue: event.status };
  } else if (event.schema === "backup.restore.v1") {
    attributes.status = { DataType: "String", StringValue: event.status };
    attributes.type = { DataType: "String", StringValue: event.type };
  }
  return attributes;
}

export class SnsEventPublisher implements EventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {
    if (!topicArn) throw new ConfigError("EVENTS_TOPIC_ARN is not set: events cannot be published");
  }

  async publish(event: DroxEvent): Promise<string> {
    const valid = parseEvent(event);
    const out = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(valid),
        Subject: subjectOf(valid),
        MessageAttributes: attributesOf(valid),
      }),
    );
    return out.MessageId ?? "";
  }
}
