/**
 * The event contract's enumerations as plain arrays, without zod: the CLI offers them as choices
 * when it registers its commands, and `--help` must not pay for loading the schemas
 * (./events.ts builds its schemas from these and re-exports them).
 */
export const BACKUP_TYPES = ["EBS", "RDS", "S3", "LOCAL_HDD"] as const;
export const STATUSES = ["SUCCEEDED", "WARNING", "FAILED"] as const;
