/**
 * How a drill marks what it creates, so that it can always find and delete it again — and never
 * anything else. Every scratch volume and DB instance carries DRILL_TAG (= the drill id) and
 * DRILL_DEADLINE_TAG (when it must be gone); DB instances are also named DRILL_INSTANCE_PREFIX…,
 * which the task role's IAM conditions match (components/task-permissions.ts).
 */
import { SOURCE_TAG, TOOL_NAME } from "../jobs/tags";
import { DRILL_DEADLINE_TAG, DRILL_INSTANCE_PREFIX, DRILL_TAG } from "./names";

export { DRILL_TAG, DRILL_DEADLINE_TAG, DRILL_INSTANCE_PREFIX } from "./names";

export interface DrillTagInput {
  readonly drillId: string;
  readonly source: string;
  /** When the scratch resource must be deleted at the latest (the sweeper's clock). */
  readonly deadline: Date;
}

export interface KeyValue {
  readonly Key?: string;
  readonly Value?: string;
}

export function drillTags(input: DrillTagInput): { Key: string; Value: string }[] {
  return [
    { Key: "Name", Value: `${TOOL_NAME}-drill-${input.source}`.slice(0, 255) },
    { Key: "ManagedBy", Value: TOOL_NAME },
    { Key: DRILL_TAG, Value: input.drillId },
    { Key: SOURCE_TAG, Value: input.source },
    { Key: DRILL_DEADLINE_TAG, Value: input.deadline.toISOString() },
  ];
}

/** The drill id a resource was made by, or undefined for anything a drill did not create. */
export function drillIdOf(tags: readonly KeyValue[] | undefined): string | undefined {
  const value = (tags ?? []).find((t) => t.Key === DRILL_TAG)?.Value;
  return value ? value : undefined;
}

/** The deadline a drill tagged, or undefined when absent or unreadable. */
export function deadlineOf(tags: readonly KeyValue[] | undefined): Date | undefined {
  const value = (tags ?? []).find((t) => t.Key === DRILL_DEADLINE_TAG)?.Value;
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * `drox-drill-<short id>-<n>`: the drill id's last ten (random) characters keep two drills apart,
 * n keeps the instances of one drill apart. RDS identifiers: 1–63 letters, digits and single
 * hyphens, starting with a letter, lower case as RDS stores them.
 */
export function drillInstanceId(drillId: string, n: number): string {
  const short = drillId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(-10);
  return `${DRILL_INSTANCE_PREFIX}${short}-${n}`;
}
