/**
 * What SNS does in AWS, for the sandbox: every message published to the events topic is read back
 * from the subscribed SQS queue, wrapped as the SNS event Lambda receives (one record per
 * invocation), and handed to the production handlers `slackNotifier` and `notionLogger`.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SNSEvent, SNSMessageAttributes } from "aws-lambda";

/** The JSON body SNS puts into an SQS queue (no raw delivery). */
interface SnsEnvelope {
  readonly Type?: string;
  readonly MessageId?: string;
  readonly TopicArn?: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp?: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly UnsubscribeURL?: string;
  readonly MessageAttributes?: SNSMessageAttributes;
}

/** Every message in the queue, oldest first, removed from it. */
export async function drainEnvelopes(sqs: SQSClient, queueUrl: string): Promise<SnsEnvelope[]> {
  const out: SnsEnvelope[] = [];
  for (;;) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = batch.Messages ?? [];
    if (messages.length === 0) return out;
    for (const m of messages) out.push(JSON.parse(m.Body ?? "{}") as SnsEnvelope);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
}

/** The event Lambda gets from an SNS subscription, for one message. */
export function toSnsEvent(envelope: SnsEnvelope, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: envelope.Type ?? "Notification",
          MessageId: envelope.MessageId ?? "",
          TopicArn: envelope.TopicArn ?? "",
          Subject: envelope.Subject,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp ?? new Date().toISOString(),
          SignatureVersion: envelope.SignatureVersion ?? "1",
          Signature: envelope.Signature ?? "",
          SigningCertUrl: envelope.SigningCertURL ?? "",
          UnsubscribeUrl: envelope.UnsubscribeURL ?? "",
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}
