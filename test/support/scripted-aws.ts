/**
 * An AWS SDK v3 client answered at the client from a script, without moto or a network: each
 * command's answer comes from `answers` (an output, or a thrown service error), and every request is
 * recorded with its input. For specs that must pin which requests a decision costs, or feed states
 * moto never produces (a failed snapshot, a bucket that cannot be read), in milliseconds.
 *
 * A request still goes down the SDK's whole stack (serialized, signed) to the client's HTTP handler
 * (OFFLINE's), which sends nothing: like the SDK's own handler it fails a request whose abort signal
 * has fired with an `AbortError`, so a spec sees which requests were sent under the caller's signal,
 * and otherwise hands the request back to the script for its answer.
 */
import type {
  HttpHandlerOptions,
  HttpRequest,
  HttpResponse,
  InitializeHandlerOptions,
  InitializeMiddleware,
  MetadataBearer,
} from "@smithy/types";

export type Input = Record<string, unknown>;
/** What one command answers: its output fields (at once or later), or a throw (the service's error). */
export type Answer = (input: Input) => object | Promise<object>;

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
    (next, context) => async (args) => {
      const command = context.commandName ?? "unknown";
      const input = { ...(args.input as Input) };
      sent.push({ command, input });
      const answer = answers[command];
      if (answer === undefined) throw new Error(`unscripted ${command}`);
      try {
        await next(args);
      } catch (error) {
        if (!(error instanceof Answered)) throw error;
      }
      return { output: { $metadata: { httpStatusCode: 200 }, ...(await answer(input)) }, response: {} };
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

/** What OFFLINE's handler throws for a request sent: the script answers it. */
class Answered extends Error {
  constructor() {
    super("answered by the script");
    this.name = "ScriptedAnswer";
  }
}

/** As @smithy/node-http-handler fails a request whose signal has fired ("Request aborted", its reason as cause). */
const offlineHandler = {
  handle: async (
    _request: HttpRequest,
    options?: HttpHandlerOptions,
  ): Promise<{ response: HttpResponse }> => {
    const signal = options?.abortSignal as AbortSignal | undefined;
    if (signal?.aborted) {
      throw Object.assign(new Error("Request aborted", { cause: signal.reason }), { name: "AbortError" });
    }
    throw new Answered();
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

/** Region, credentials and the HTTP handler of a client that sends nothing (see the header). */
export const OFFLINE = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDOFFLINE", secretAccessKey: "offline" },
  requestHandler: offlineHandler,
  // Whatever AWS_ENDPOINT_URL an earlier spec left (moto's IP, on which S3 Control's account-id
  // host makes no URL): nothing is sent there anyway.
  endpoint: "https://aws.offline.invalid",
  // The SDK warns on the console whenever a streamed upload fails, as each does here before the
  // script answers it.
  logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
} as const;
