/**
 * An AWS SDK v3 client answered at the client from a script, without moto or a network: each
 * command's answer comes from `answers` (an output, or a thrown service error), and every request is
 * recorded with its input. For specs that must pin which requests a decision costs, or feed states
 * moto never produces (a failed snapshot, a bucket that cannot be read), in milliseconds.
 */
import type { InitializeHandlerOptions, InitializeMiddleware, MetadataBearer } from "@smithy/types";

export type Input = Record<string, unknown>;
/** What one command answers: its output fields, or a throw (the service's error). */
export type Answer = (input: Input) => object;

export interface Sent {
  readonly command: string;
  readonly input: Input;
}

interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: InitializeMiddleware<object, MetadataBearer>, options: InitializeHandlerOptions): void;
  };
}

/** Answers `client`'s commands from `answers`; an unscripted command fails the request. */
export function script(client: MiddlewareHost, answers: Record<string, Answer>): Sent[] {
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = context.commandName ?? "unknown";
      const input = { ...(args.input as Input) };
      sent.push({ command, input });
      const answer = answers[command];
      if (answer === undefined) throw new Error(`unscripted ${command}`);
      return { output: { $metadata: { httpStatusCode: 200 }, ...answer(input) }, response: {} };
    },
    { step: "initialize", name: "scriptedAnswers" },
  );
  return sent;
}

/** Throws `error` when the command is sent. */
export const fail =
  (error: Error): Answer =>
  () => {
    throw error;
  };

/** Credentials and region that let a client be built offline (the script answers before signing). */
export const OFFLINE = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDOFFLINE", secretAccessKey: "offline" },
} as const;
