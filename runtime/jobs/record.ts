/**
 * Every outcome is recorded in the history and published to the events topic. A failure to do
 * either does not stop the remaining jobs; it is raised once at the end with all results attached,
 * so the caller (CLI, ECS task) fails visibly without losing what did run.
 */
import { DroxError } from "../contract/errors";
import type { BackupResult, DroxEvent } from "../contract/events";
import type { JobDeps } from "./context";
import { messageOf } from "./result";

export class DeliveryError extends DroxError {
  constructor(
    message: string,
    readonly results: readonly BackupResult[],
    readonly failures: readonly string[],
  ) {
    super(message, { retryable: true });
  }
}

export async function recordResult(deps: JobDeps, result: BackupResult, failures: string[]): Promise<void> {
  try {
    await deps.history.put(result);
  } catch (error) {
    failures.push(`history ${result.jobId}: ${messageOf(error)}`);
  }
  await publishEvent(deps, result, failures);
}

export async function publishEvent(deps: JobDeps, event: DroxEvent, failures: string[]): Promise<void> {
  try {
    await deps.publisher.publish(event);
  } catch (error) {
    failures.push(`publish ${event.schema}: ${messageOf(error)}`);
  }
}
