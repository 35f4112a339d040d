/**
 * The event contract (version 1): one schema module validated at every boundary — the publisher,
 * the HTTP API and the Lambda handlers. Types are inferred from the schemas so they cannot drift.
 */
import { z } from "zod";
import { ValidationError, type FieldIssue } from "./errors";

export const BACKUP_TYPES = ["EBS", "RDS", "S3", "LOCAL_HDD"] as const;
export const STATUSES = ["SUCCEEDED", "WARNING", "FAILED"] as const;
export const SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;

export const RESULT_SCHEMA = "backup.result.v1";
export const REPORT_SCHEMA = "backup.report.v1";
export const CHECK_SCHEMA = "backup.check.v1";
export const RESTORE_SCHEMA = "backup.restore.v1";
export const EVENT_SCHEMAS = [RESULT_SCHEMA, REPORT_SCHEMA, CHECK_SCHEMA, RESTORE_SCHEMA] as const;
/** What `drox-backup restore` restores from (a LOCAL_HDD backup is restored where it ran). */
export const RESTORE_TYPES = ["EBS", "RDS", "S3"] as const;

/** Ids are used as idempotency keys and shown to people: printable, bounded. */
const id = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:/@+=-]+$/, "may only contain letters, digits and . _ : / @ + = -");
const timestamp = z.iso.datetime({
  offset: true,
  message: "must be an ISO 8601 date-time, e.g. 2024-11-04T02:00:00+09:00",
});
const count = z.number().int("must be a whole number").nonnegative("must not be negative");
const seconds = z.number().nonnegative("must not be negative").finite();

export const BackupTypeSchema = z.enum(BACKUP_TYPES);
export const StatusSchema = z.enum(STATUSES);

export const MetricsSchema = z.object({
  /** EBS snapshot id or RDS DB snapshot identifier. */
  snapshotId: z.string().min(1).max(255).optional(),
  filesCopied: count.optional(),
  filesTotal: count.optional(),
  filesFailed: count.optional(),
  sizeBytes: count.optional(),
  bytesCopied: count.optional(),
  /** The cross-region (DR) copy of the snapshot, when one was made. */
  copySnapshotId: z.string().min(1).max(255).optional(),
  copyRegion: z.string().min(1).max(64).optional(),
});

export const VerificationSchema = z.object({
  dbVerified: z.boolean().optional(),
  securityCheck: z.boolean().optional(),
});

export const ErrorInfoSchema = z.object({
  message: z.string().min(1, "must not be empty").max(10_000),
  code: z.string().max(256).optional(),
});

export const LinksSchema = z.object({
  slackLog: z.url({ protocol: /^https?$/ }).optional(),
  report: z.url({ protocol: /^https?$/ }).optional(),
});

export const BackupResultSchema = z
  .object({
    schema: z.literal(RESULT_SCHEMA),
    jobId: id,
    type: BackupTypeSchema,
    resource: z.string().min(1, "must not be empty").max(1024),
    status: StatusSchema,
    startedAt: timestamp,
    finishedAt: timestamp,
    durationSeconds: seconds,
    metrics: MetricsSchema.optional(),
    verification: VerificationSchema.optional(),
    error: ErrorInfoSchema.optional(),
    improvement: z.string().max(10_000).optional(),
    links: LinksSchema.optional(),
    /**
     * The job id of the result this one follows up (a pending snapshot found completed, a DR copy
     * done, a retry that succeeded): bot mode replies in that result's Slack thread and updates its
     * Notion page. Optional, so v1 consumers that ignore it are unaffected.
     */
    followUpOf: id.optional(),
  })
  .superRefine((event, ctx) => {
    if (event.status === "FAILED" && !event.error) {
      ctx.addIssue({ code: "custom", path: ["error"], message: "is required when status is FAILED" });
    }
    if (Date.parse(event.finishedAt) < Date.parse(event.startedAt)) {
      ctx.addIssue({ code: "custom", path: ["finishedAt"], message: "must not be before startedAt" });
    }
  });

export const FailedJobSchema = z.object({
  type: BackupTypeSchema,
  resource: z.string().min(1, "must not be empty").max(1024),
  jobId: id,
});

export const WeeklyReportSchema = z
  .object({
    schema: z.literal(REPORT_SCHEMA),
    reportId: id,
    periodStart: timestamp,
    periodEnd: timestamp,
    weekLabel: z.string().regex(/^[1-5]주차$/, "must be N주차 with N from 1 to 5"),
    total: count,
    succeeded: count,
    warnings: count,
    failed: count,
    successRate: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
    averageDurationSeconds: seconds,
    failedJobs: z.array(FailedJobSchema),
    links: LinksSchema.optional(),
  })
  .superRefine((event, ctx) => {
    if (event.succeeded + event.warnings + event.failed !== event.total) {
      ctx.addIssue({ code: "custom", path: ["total"], message: "must equal succeeded + warnings + failed" });
    }
    if (Date.parse(event.periodEnd) < Date.parse(event.periodStart)) {
      ctx.addIssue({ code: "custom", path: ["periodEnd"], message: "must not be before periodStart" });
    }
  });

export const FindingSchema = z.object({
  severity: z.enum(SEVERITIES),
  resource: z.string().min(1, "must not be empty").max(1024),
  message: z.string().min(1, "must not be empty").max(10_000),
});

export const IntegrityCheckSchema = z.object({
  schema: z.literal(CHECK_SCHEMA),
  checkId: id,
  checkedAt: timestamp,
  status: StatusSchema,
  findings: z.array(FindingSchema),
  /** How many snapshots, buckets and objects the check looked at. */
  checkedResources: count.optional(),
  links: LinksSchema.optional(),
});

export const RestoreMetricsSchema = z.object({
  /** Volume or allocated storage size, or the bytes an S3 restore copied. */
  sizeBytes: count.optional(),
  /** S3: objects the restore selected (their version at the chosen time is not a delete marker). */
  filesTotal: count.optional(),
  filesCopied: count.optional(),
  /** S3: already identical at the destination, not copied again. */
  filesSkipped: count.optional(),
  /** S3: present and different at the destination, left alone (no --overwrite). */
  filesRefused: count.optional(),
  filesFailed: count.optional(),
  /** RDS: the new instance's endpoint, host:port. */
  endpoint: z.string().min(1).max(1024).optional(),
});

/** One restore (`drox-backup restore`): who restored what, from which backup, into what. */
export const RestoreEventSchema = z
  .object({
    schema: z.literal(RESTORE_SCHEMA),
    restoreId: id,
    type: z.enum(RESTORE_TYPES),
    /** What was backed up: the volume, DB instance or source bucket. */
    resource: z.string().min(1, "must not be empty").max(1024),
    /** The backup restored: a snapshot id, or the backup bucket's prefix and point in time. */
    from: z.string().min(1, "must not be empty").max(2048),
    /** What was created or written: a new volume or instance, or bucket/prefix. */
    target: z.string().min(1, "must not be empty").max(2048),
    /** The region restored in, when not the stack's own (the DR copies). */
    region: z.string().min(1).max(64).optional(),
    /** S3: the point in time whose object versions were restored (absent: the latest). */
    at: timestamp.optional(),
    /** The operator: the caller's login name (restores run with the operator's credentials). */
    requestedBy: z.string().min(1, "must not be empty").max(512),
    status: StatusSchema,
    startedAt: timestamp,
    finishedAt: timestamp,
    durationSeconds: seconds,
    metrics: RestoreMetricsSchema.optional(),
    error: ErrorInfoSchema.optional(),
    links: LinksSchema.optional(),
  })
  .superRefine((event, ctx) => {
    if (event.status === "FAILED" && !event.error) {
      ctx.addIssue({ code: "custom", path: ["error"], message: "is required when status is FAILED" });
    }
    if (Date.parse(event.finishedAt) < Date.parse(event.startedAt)) {
      ctx.addIssue({ code: "custom", path: ["finishedAt"], message: "must not be before startedAt" });
    }
  });

export const DroxEventSchema = z.discriminatedUnion("schema", [
  BackupResultSchema,
  WeeklyReportSchema,
  IntegrityCheckSchema,
  RestoreEventSchema,
]);

export type BackupType = z.infer<typeof BackupTypeSchema>;
export type Status = z.infer<typeof StatusSchema>;
export type Severity = (typeof SEVERITIES)[number];
export type Metrics = z.infer<typeof MetricsSchema>;
export type BackupResult = z.infer<typeof BackupResultSchema>;
export type FailedJob = z.infer<typeof FailedJobSchema>;
export type WeeklyReport = z.infer<typeof WeeklyReportSchema>;
export type Finding = z.infer<typeof FindingSchema>;
export type IntegrityCheck = z.infer<typeof IntegrityCheckSchema>;
export type DroxEvent = z.infer<typeof DroxEventSchema>;
export type RestoreType = (typeof RESTORE_TYPES)[number];
export type RestoreMetrics = z.infer<typeof RestoreMetricsSchema>;
export type RestoreEvent = z.infer<typeof RestoreEventSchema>;

export type { FieldIssue };

function describeIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(event)";
    if (issue.code === "invalid_union" && issue.path.length === 1 && issue.path[0] === "schema") {
      return { field, problem: `must be one of ${EVENT_SCHEMAS.join(", ")}` };
    }
    return { field, problem: issue.message };
  });
}

/**
 * Validates anything (a parsed JSON body, an SNS message) as a drox event.
 * Throws a ValidationError that names every offending field; never echoes field values.
 */
export function parseEvent(input: unknown): DroxEvent {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError("event must be a JSON object", [
      { field: "(event)", problem: "must be an object" },
    ]);
  }
  const schema = (input as { schema?: unknown }).schema;
  if (typeof schema !== "string" || !(EVENT_SCHEMAS as readonly string[]).includes(schema)) {
    throw new ValidationError(`unknown event schema: schema must be one of ${EVENT_SCHEMAS.join(", ")}`, [
      { field: "schema", problem: `must be one of ${EVENT_SCHEMAS.join(", ")}` },
    ]);
  }
  const parsed = DroxEventSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new ValidationError(
      `invalid ${schema} event: ${issues.map((i) => `${i.field} ${i.problem}`).join("; ")}`,
      issues,
    );
  }
  return parsed.data;
}

/** Parses a JSON text (an SNS message, a request body) and validates it. */
export function parseEventJson(text: string): DroxEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError("event is not valid JSON", [
      { field: "(event)", problem: "must be valid JSON" },
    ]);
  }
  return parseEvent(value);
}

/** Validates a result specifically (the external-report API accepts only results). */
export function parseBackupResult(input: unknown): BackupResult {
  const event = parseEvent(input);
  if (event.schema !== RESULT_SCHEMA) {
    throw new ValidationError(`expected a ${RESULT_SCHEMA} event`, [
      { field: "schema", problem: `must be ${RESULT_SCHEMA}` },
    ]);
  }
  return event;
}

/** The idempotency key of any event: deliveries of the same id are the same notification. */
export function eventId(event: DroxEvent): string {
  switch (event.schema) {
    case RESULT_SCHEMA:
      return event.jobId;
    case REPORT_SCHEMA:
      return event.reportId;
    case CHECK_SCHEMA:
      return event.checkId;
    case RESTORE_SCHEMA:
      return event.restoreId;
  }
}
