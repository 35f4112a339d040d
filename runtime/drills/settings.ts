/**
 * A drill's own settings, read from the environment like the jobs' (runtime/settings/jobs.ts):
 * how much of S3 to read back, which DB instance class to restore into, and how long a drill of
 * one kind may take before it is cut off and its resources deleted.
 */
import { ConfigError } from "../contract/errors";
import { readInt } from "../settings/env";

export interface DrillSettings {
  /** Drills are scheduled on this stack (DRILL_ENABLED): a week without one is reported. */
  readonly enabled: boolean;
  /** Objects read back per bucket at least; 1 % of the bucket when that is more. */
  readonly s3Sample: number;
  /** Never more objects than this per bucket, however large the bucket. */
  readonly s3SampleMax: number;
  /** DB instance class of the scratch instance; the smallest the engine allows when unset. */
  readonly dbInstanceClass?: string;
  /** Minutes a drill of one kind may run, from its start to its resources being deleted. */
  readonly deadlineMinutes: number;
}

export const DEFAULT_S3_SAMPLE = 100;
export const DEFAULT_S3_SAMPLE_MAX = 1_000;
/** An RDS restore of a few hundred GB takes tens of minutes; two hours leaves room without waste. */
export const DEFAULT_DEADLINE_MINUTES = 120;

const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;

/** DRILL_ENABLED=true: the stack schedules drills. Read alone by the weekly report. */
export function readDrillEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.DRILL_ENABLED?.trim().toLowerCase() ?? "") === "true";
}

export function readDrillSettings(env: NodeJS.ProcessEnv = process.env): DrillSettings {
  const s3Sample = readInt(env, "DRILL_S3_SAMPLE", { default: DEFAULT_S3_SAMPLE, min: 1, max: 100_000 });
  const s3SampleMax = Math.max(
    s3Sample,
    readInt(env, "DRILL_S3_SAMPLE_MAX", { default: DEFAULT_S3_SAMPLE_MAX, min: 1, max: 100_000 }),
  );
  const dbInstanceClass = env.DRILL_DB_INSTANCE_CLASS?.trim() || undefined;
  if (dbInstanceClass !== undefined && !INSTANCE_CLASS.test(dbInstanceClass)) {
    throw new ConfigError(
      `DRILL_DB_INSTANCE_CLASS must be a DB instance class such as db.t4g.micro (got ${JSON.stringify(dbInstanceClass.slice(0, 40))})`,
    );
  }
  const deadlineMinutes = readInt(env, "DRILL_DEADLINE_MINUTES", {
    default: DEFAULT_DEADLINE_MINUTES,
    min: 5,
    max: 720,
  });
  const enabled = readDrillEnabled(env);
  return { enabled, s3Sample, s3SampleMax, ...(dbInstanceClass ? { dbInstanceClass } : {}), deadlineMinutes };
}

/** Objects to read back from a bucket of `total` objects: max(sample, 1 %), capped, at most all. */
export function sampleSize(total: number, settings: Pick<DrillSettings, "s3Sample" | "s3SampleMax">): number {
  return Math.min(total, settings.s3SampleMax, Math.max(settings.s3Sample, Math.ceil(total / 100)));
}
