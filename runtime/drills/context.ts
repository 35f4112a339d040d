/**
 * What a drill needs: the jobs' dependencies (clients, history, publisher, logger, clock) plus
 * its settings, the per-kind lock and the drill history, both in the history table.
 */
import { createDynamoDbClient } from "../aws/clients";
import { createJobDeps, type JobDeps } from "../jobs/context";
import { required } from "../settings/jobs";
import { DynamoDbDrillHistory, type DrillHistory } from "./history";
import { DynamoDbDrillLock, type DrillLock } from "./lock";
import { readDrillSettings, type DrillSettings } from "./settings";

export interface DrillDeps extends JobDeps {
  readonly drillSettings: DrillSettings;
  readonly lock: DrillLock;
  readonly drills: DrillHistory;
}

export function createDrillDeps(
  overrides: Partial<DrillDeps> = {},
  env: NodeJS.ProcessEnv = process.env,
): DrillDeps {
  const jobs = createJobDeps(overrides, env);
  const table = () => required(jobs.settings, "historyTable", "HISTORY_TABLE");
  let dynamo: ReturnType<typeof createDynamoDbClient> | undefined;
  const client = () => (dynamo ??= createDynamoDbClient());
  return {
    ...jobs,
    drillSettings: overrides.drillSettings ?? readDrillSettings(env),
    lock: overrides.lock ?? new DynamoDbDrillLock(client(), table(), jobs.now),
    drills:
      overrides.drills ?? new DynamoDbDrillHistory(client(), table(), jobs.settings.historyRetentionDays),
  };
}

/** Waiter poll bounds in seconds; tests and moto need no long pause. */
export interface DrillWaits {
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
}

/** One kind's share of a drill: its id, its deadline and how to poll. */
export interface KindRun {
  readonly deps: DrillDeps;
  readonly drillId: string;
  readonly deadline: import("./deadline").DrillDeadline;
  readonly waits: DrillWaits;
}
