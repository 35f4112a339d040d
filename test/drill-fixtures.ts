/**
 * Shared set-up for the drill specs: DrillDeps against moto (on top of test/jobs-fixtures.ts), a
 * backup taken by the real jobs to restore from, and middleware that records what moto answered.
 */
import type { InitializeHandlerOptions, InitializeMiddleware, MetadataBearer } from "@smithy/types";
import { Writable } from "node:stream";
import { createDrillDeps, type DrillDeps } from "../runtime/drills/context";
import { readDrillSettings, type DrillSettings } from "../runtime/drills/settings";
import { createLogger } from "../runtime/logging/logger";

export const FAST_DRILL_WAITS = { minDelaySeconds: 1, maxDelaySeconds: 1 } as const;

const silent = new Writable({ write: (_chunk, _enc, done) => done() });

export function drillDeps(
  env: Record<string, string>,
  overrides: Partial<DrillDeps> = {},
  settings: Partial<DrillSettings> = {},
): DrillDeps {
  const full = { ...process.env, ...env };
  return createDrillDeps(
    {
      logger: createLogger({ destination: silent, level: "silent" }),
      drillSettings: { ...readDrillSettings(full), ...settings },
      ...overrides,
    },
    full,
  );
}

interface Stackable {
  readonly middlewareStack: {
    add(middleware: InitializeMiddleware<object, MetadataBearer>, options: InitializeHandlerOptions): void;
  };
}

export interface Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
  readonly output: Record<string, unknown>;
}

/** Records every call the client makes (input and moto's output), in order. */
export function recordCalls(client: Stackable): Call[] {
  const calls: Call[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      calls.push({
        command: context.commandName ?? "",
        input: args.input as Record<string, unknown>,
        output: result.output as unknown as Record<string, unknown>,
      });
      return result;
    },
    { step: "initialize", name: `record-calls-${Math.random()}` },
  );
  return calls;
}
