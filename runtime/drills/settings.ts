/**
 * A drill's own settings, read from the environment through the settings declaration
 * (runtime/settings/declaration.ts: drillEnabled, drillS3Sample, drillDbInstanceClass,
 * drillDeadlineMinutes): how much of S3 to read back, which DB instance class to restore into,
 * and how long a drill of one kind may take before it is cut off and its resources deleted.
 */
import { readNumberSetting, readSetting } from "../settings/read";

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

/** However large the bucket, a drill reads back at most this many objects (or drillS3Sample). */
export const S3_SAMPLE_CAP = 1_000;

/** DRILL_ENABLED=true: the stack schedules drills. Read alone by the weekly report. */
export function readDrillEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return readSetting(env, "drillEnabled");
}

export function readDrillSettings(env: NodeJS.ProcessEnv = process.env): DrillSettings {
  const s3Sample = readNumberSetting(env, "drillS3Sample");
  const dbInstanceClass = readSetting(env, "drillDbInstanceClass");
  return {
    enabled: readDrillEnabled(env),
    s3Sample,
    s3SampleMax: Math.max(s3Sample, S3_SAMPLE_CAP),
    ...(dbInstanceClass ? { dbInstanceClass } : {}),
    deadlineMinutes: readNumberSetting(env, "drillDeadlineMinutes"),
  };
}

/** Objects to read back from a bucket of `total` objects: max(sample, 1 %), capped, at most all. */
export function sampleSize(total: number, settings: Pick<DrillSettings, "s3Sample" | "s3SampleMax">): number {
  return Math.min(total, settings.s3SampleMax, Math.max(settings.s3Sample, Math.ceil(total / 100)));
}
