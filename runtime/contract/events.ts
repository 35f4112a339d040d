/**
 * The event contract (version 1): one schema module validated at every boundary — the publisher,
 * the HTTP API and the Lambda handlers. Types are inferred from the schemas so they cannot drift.
 */
import { z } from "zod";
import { BACKUP_TYPES, STATUSES } from "./enums";
import { ValidationError, type FieldIssue } from "./errors";

export { BACKUP_TYPES, STATUSES } from "./enums";
export const SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;

export const RESULT_SCHEMA = "backup.result.v1";
export const REPORT_SCHEMA = "backup.report.v1";
export const CHECK_SCHEMA = "backup.check.v1";
export const DRILL_SCHEMA = "backup.drill.v1";
export const RESTORE_SCHEMA = "backup.restore.v1";
export const MONTHLY_REPORT_SCHEMA = "backup.monthly-report.v1";
export const EVENT_SCHEMAS = [
  RESULT_SCHEMA,
  REPORT_SCHEMA,
  CHECK_SCHEMA,
  RESTORE_SCHEMA,
  DRILL_SCHEMA,
  MONTHLY_REPORT_SCHEMA,
] as const;
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

const rate = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
/** How many weeks the report's chart and sparkline look back. */
export const MAX_TREND_WEEKS = 8;

/**
 * Where the report's chart is, once the task that built the report has rendered and uploaded it:
 * the id of a Notion file upload (already sent) the Notion logger attaches as an image block.
 */
export const ChartRefSchema = z.object({
  notionFileUploadId: id.optional(),
});

export const FailedJobSchema = z.object({
  type: BackupTypeSchema,
  resource: z.string().min(1, "must not be empty").max(1024),
  jobId: id,
});

/** What a restore drill restores; LOCAL_HDD backups live elsewhere and are not drilled. */
export const DRILL_TYPES = ["EBS", "RDS", "S3"] as const;
export const DrillTypeSchema = z.enum(DRILL_TYPES);

/** The weekly report's "복구 테스트" section: the drills of the report's period. */
export const DrillSummarySchema = z.object({
  /** Drills that ran in the period. */
  drills: count,
  lastDrillId: id.optional(),
  lastDrillAt: timestamp.optional(),
  lastStatus: StatusSchema.optional(),
  /** The last drill's time to restore per resource, in seconds. */
  restoreTimes: z.array(z.object({ type: DrillTypeSchema, resource: z.string().min(1).max(1024), seconds })),
  /** Every resource of the period's drills that did not restore cleanly. */
  failures: z.array(
    z.object({
      drillId: id,
      type: DrillTypeSchema,
      resource: z.string().min(1).max(1024),
      message: z.string().min(1).max(10_000),
    }),
  ),
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
    /** Restore drills of the period (the Notion body's "복구 테스트"); Slack's text leaves them out. */
    drills: DrillSummarySchema.optional(),
    /**
     * The success rate of each of the last weeks up to this one, oldest first (`null`: no runs that
     * week) — what a text-only Slack message draws as a sparkline. Optional: added in place of a
     * new version because readers that do not know it lose nothing.
     */
    recentSuccessRates: z.array(rate.nullable()).max(MAX_TREND_WEEKS).optional(),
    chart: ChartRefSchema.optional(),
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

/** Runs and outcomes of one slice of a month: a backup type, or a `N주차`. */
const TalliesSchema = z.object({
  total: count,
  succeeded: count,
  warnings: count,
  failed: count,
  successRate: rate,
});

/**
 * The monthly report: the weekly report's figures over a calendar month of the display time zone,
 * broken down by backup type and by week of the month (`N주차` as Notion's Week property counts
 * them). A sibling of `backup.report.v1` rather than a variant of it: its period and label differ
 * and a reader of v1 must not mistake a month for a week.
 */
export const MonthlyReportSchema = z
  .object({
    schema: z.literal(MONTHLY_REPORT_SCHEMA),
    reportId: id,
    /** `YYYY-MM`. */
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be YYYY-MM, e.g. 2024-11"),
    periodStart: timestamp,
    periodEnd: timestamp,
    total: count,
    succeeded: count,
    warnings: count,
    failed: count,
    successRate: rate,
    averageDurationSeconds: seconds,
    failedJobs: z.array(FailedJobSchema),
    byType: z.array(TalliesSchema.extend({ type: BackupTypeSchema })).max(BACKUP_TYPES.length),
    weeks: z
      .array(
        TalliesSchema.extend({
          weekLabel: z.string().regex(/^[1-5]주차$/, "must be N주차 with N from 1 to 5"),
        }),
      )
      .max(5),
    chart: ChartRefSchema.optional(),
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

/** One restored resource of a drill: what was restored, how long it took, what was wrong. */
export const DrillResourceSchema = z.object({
  type: DrillTypeSchema,
  /** The backed-up resource: volume id, DB instance id or source bucket. */
  resource: z.string().min(1, "must not be empty").max(1024),
  /** The backup restored: EBS snapshot id or DB snapshot identifier. */
  snapshotId: z.string().min(1).max(255).optional(),
  /** The scratch volume or DB instance the drill made (and deleted). */
  restoredId: z.string().min(1).max(255).optional(),
  /** S3: the objects read back from the backup bucket and compared with the source. */
  sample: z.object({ objects: count, bytes: count, sourceObjects: count }).optional(),
  status: StatusSchema,
  /** From the restore request to the restored resource being `available`. */
  secondsToRestore: seconds.optional(),
  findings: z.array(FindingSchema),
});

/**
 * `backup.drill.v1` — a restore drill (복구 테스트): the newest backups restored into scratch
 * resources, checked, timed and deleted. `findings` holds what concerns the drill as a whole
 * (leftovers of an earlier drill swept, a refused or aborted drill).
 */
export const DrillSchema = z
  .object({
    schema: z.literal(DRILL_SCHEMA),
    drillId: id,
    startedAt: timestamp,
    finishedAt: timestamp,
    status: StatusSchema,
    resources: z.array(DrillResourceSchema),
    findings: z.array(FindingSchema),
    /** dbVerified: an RDS restore succeeded; securityCheck: always true (a drill is a check). */
    verification: VerificationSchema.optional(),
    links: LinksSchema.optional(),
  })
  .superRefine((event, ctx) => {
    if (Date.parse(event.finishedAt) < Date.parse(event.startedAt)) {
      ctx.addIssue({ code: "custom", path: ["finishedAt"], message: "must not be before startedAt" });
    }
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
  DrillSchema,
  MonthlyReportSchema,
]);

export type BackupType = z.infer<typeof BackupTypeSchema>;
export type Status = z.infer<typeof StatusSchema>;
export type Severity = (typeof SEVERITIES)[number];
export type Metrics = z.infer<typeof MetricsSchema>;
export type BackupResult = z.infer<typeof BackupResultSchema>;
export type FailedJob = z.infer<typeof FailedJobSchema>;
export type WeeklyReport = z.infer<typeof WeeklyReportSchema>;
export type MonthlyReport = z.infer<typeof MonthlyReportSchema>;
export type Finding = z.infer<typeof FindingSchema>;
export type IntegrityCheck = z.infer<typeof IntegrityCheckSchema>;
export type DroxEvent = z.infer<typeof DroxEventSchema>;
export type DrillType = z.infer<typeof DrillTypeSchema>;
export type DrillResource = z.infer<typeof DrillResourceSchema>;
export type Drill = z.infer<typeof DrillSchema>;
export type DrillSummary = z.infer<typeof DrillSummarySchema>;
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
    case DRILL_SCHEMA:
      return event.drillId;
    case RESTORE_SCHEMA:
      return event.restoreId;
    case MONTHLY_REPORT_SCHEMA:
      return event.reportId;
  }
}
