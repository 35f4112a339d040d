/**
 * The time the current delivery has, carried to the `fetch` under @notionhq/client without
 * threading it through every call: the Lambda handler runs a delivery inside `withDeadline`
 * (its `context.getRemainingTimeInMillis()`), and the rate-limit guard (./pacing.ts) reads it
 * when Notion answers 429 to decide whether waiting out Retry-After still fits.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const storage = new AsyncLocalStorage<number>();

/** Runs `fn` with `deadline` (epoch ms) as the current deadline; undefined runs it without one. */
export function withDeadline<T>(deadline: number | undefined, fn: () => Promise<T>): Promise<T> {
  // Stryker disable next-line ConditionalExpression: storage.run(undefined, fn) reads back as no deadline too; the branch only skips the store
  return deadline === undefined ? fn() : storage.run(deadline, fn);
}

/** The deadline (epoch ms) of the delivery in progress, if it has one. */
export function currentDeadline(): number | undefined {
  return storage.getStore();
}
