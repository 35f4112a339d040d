/**
 * Structured JSON logs (pino) with secrets scrubbed from every field and message: the Lambda
 * handlers, the jobs and the HTTP service all log through this.
 */
import pino, { type Logger } from "pino";
import { readSetting } from "../settings/read";
import { redactText, redactValue } from "./redact";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly name?: string;
  readonly level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to inspect output. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? "drox-backup",
      level: options.level ?? readSetting(process.env, "logLevel") ?? "info",
      // Header and token fields are dropped by path; everything else is scrubbed by value below.
      redact: {
        paths: [
          "authorization",
          "req.headers.authorization",
          "headers.authorization",
          "webhookUrl",
          "*.webhookUrl",
          "token",
          "*.token",
        ],
        censor: "[REDACTED]",
      },
      // formatters.log runs before serializers and already turns errors into scrubbed plain
      // objects ({ type, message, stack, cause }); pino's own err serializer would relabel them.
      serializers: { err: (value: unknown) => value, error: (value: unknown) => value },
      formatters: {
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
