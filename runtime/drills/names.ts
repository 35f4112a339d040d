/**
 * The names a drill's resources carry, in one place for the runtime, the task role's IAM
 * conditions and the policy pack. No imports: components/ and policy/ load it without the SDKs.
 */

/** On every scratch volume and DB instance; its value is the drill id. */
export const DRILL_TAG = "drox-backup:drill";
/** ISO 8601 instant after which a leftover is swept. */
export const DRILL_DEADLINE_TAG = "drox-backup:drill-deadline";
/** Every scratch DB instance's identifier starts with this. */
export const DRILL_INSTANCE_PREFIX = "drox-drill-";
