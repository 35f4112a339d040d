/**
 * Pure mapping of an event to the seed's twelve properties. `mapEvent` gives the values as people
 * read them (the seed's example table); `toProperties` shapes them for the real schema (which
 * property is the title, status vs select). No I/O: tested property by property.
 */
import type {
  MonthlyReport,
  BackupResult,
  BackupType,
  Drill,
  DroxEvent,
  IntegrityCheck,
  RestoreEvent,
  Status,
  WeeklyReport,
} from "../contract/events";
import {
  CHECK_SCHEMA,
  DRILL_SCHEMA,
  MONTHLY_REPORT_SCHEMA,
  REPORT_SCHEMA,
  RESTORE_SCHEMA,
  RESULT_SCHEMA,
} from "../contract/events";
import { monthLabel } from "../reports/labels";
import {
  DEFAULT_THRESHOLDS,
  type SuccessLevel,
  type Thresholds,
  successLevel,
} from "../settings/success-rate";
import { DEFAULT_TIME_ZONE, formatDate, weekLabel } from "../contract/time";
import { CATEGORY_OPTIONS, HEALTH_OPTIONS, PROPERTY, STATUS_OPTIONS, type SchemaPlan } from "./schema";
import { PROPERTY_TEXT_MAX, type RichTextItem, TEXT_LIMIT, URL_LIMIT, richText } from "./text";

/** The shared thresholds (../success-rate), under the name this module has always exported. */
export type SuccessRateThresholds = Thresholds;
export { DEFAULT_THRESHOLDS } from "../settings/success-rate";

export interface MappingOptions {
  readonly timeZone?: string;
  readonly thresholds?: SuccessRateThresholds;
}

/** One database row, as the seed's tables show it. */
export interface NotionRow {
  /** The event's idempotency key (job, report or check id). */
  readonly id: string;
  /** `YYYY-MM-DD` in the display time zone. */
  readonly date: string;
  readonly summary: string;
  readonly status: string;
  readonly category: readonly string[];
  readonly week: string;
  readonly health: string;
  /** GB (1024³ bytes), one decimal; absent when the event has no size. */
  readonly sizeGb?: number;
  readonly dbVerified: boolean;
  readonly securityCheck: boolean;
  readonly slackLog?: string;
  readonly report?: string;
  readonly improvement?: string;
}

const TYPE_LABEL: Record<BackupType, string> = { EBS: "EBS", RDS: "RDS", S3: "S3", LOCAL_HDD: "Local HDD" };

const LEVEL_STATUS: Record<SuccessLevel, Status> = { ok: "SUCCEEDED", warn: "WARNING", bad: "FAILED" };

/**
 * The report's Status / System_Health from its success rate: the shared level (judged on the rate
 * as displayed, one decimal of a percent), so the row always agrees with Slack's emoji.
 */
export function reportLevel(
  successRate: number,
  thresholds: SuccessRateThresholds = DEFAULT_THRESHOLDS,
): Status {
  return LEVEL_STATUS[successLevel(successRate, thresholds)];
}

/** 107374182400 bytes → 100 (GB as AWS sizes volumes), one decimal. */
export function bytesToGb(bytes: number): number {
  return Math.round((bytes / 1024 ** 3) * 10) / 10;
}

function common(status: Status, date: string) {
  return {
    date,
    status: STATUS_OPTIONS[status].name,
    health: HEALTH_OPTIONS[status].name,
    week: weekLabel(date),
  };
}

function resultRow(event: BackupResult, timeZone: string): NotionRow {
  const date = formatDate(event.finishedAt, timeZone);
  const size = event.metrics?.sizeBytes;
  return {
    id: event.jobId,
    ...common(event.status, date),
    summary: `${TYPE_LABEL[event.type]} 백업: ${event.resource}`,
    category: [CATEGORY_OPTIONS[event.type].name],
    sizeGb: size === undefined ? undefined : bytesToGb(size),
    dbVerified: event.verification?.dbVerified ?? false,
    securityCheck: event.verification?.securityCheck ?? false,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
    improvement: event.improvement ? event.improvement : undefined,
  };
}

function reportRow(event: WeeklyReport, timeZone: string, thresholds: SuccessRateThresholds): NotionRow {
  const date = formatDate(event.periodEnd, timeZone);
  // The seed's row reads "성공률 95%": whole percent here, unlike Slack's one decimal.
  const percent = Math.round(event.successRate * 100);
  return {
    id: event.reportId,
    ...common(reportLevel(event.successRate, thresholds), date),
    summary: `주간 백업 리포트\n총 ${event.total}건 실행, 성공률 ${percent}%`,
    category: [CATEGORY_OPTIONS.SECURITY.name],
    dbVerified: false,
    securityCheck: false,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
  };
}

/**
 * Filed like the weekly report (보안 점검), dated the month's last day in the zone so that the page
 * sorts and filters (Week, Date) within the month it reports, not the day it was made.
 */
function monthlyRow(event: MonthlyReport, timeZone: string, thresholds: SuccessRateThresholds): NotionRow {
  const lastInstant = new Date(Date.parse(event.periodEnd) - 1);
  const percent = Math.round(event.successRate * 100);
  return {
    id: event.reportId,
    ...common(reportLevel(event.successRate, thresholds), formatDate(lastInstant, timeZone)),
    summary: `월간 백업 리포트 ${monthLabel(event.month)}\n총 ${event.total}건 실행, 성공률 ${percent}%`,
    category: [CATEGORY_OPTIONS.SECURITY.name],
    dbVerified: false,
    securityCheck: false,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
  };
}

function checkRow(event: IntegrityCheck, timeZone: string): NotionRow {
  const date = formatDate(event.checkedAt, timeZone);
  const problems = event.findings.length;
  return {
    id: event.checkId,
    ...common(event.status, date),
    summary: problems > 0 ? `보안 점검: 문제 ${problems}건` : "보안 점검: 이상 없음",
    category: [CATEGORY_OPTIONS.SECURITY.name],
    dbVerified: false,
    securityCheck: true,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
  };
}

/**
 * A restore drill is a check of the backups (보안 점검, Security_Check), and the one thing that
 * proves a DB backup restores: DB_Verified is what the drill's event says (an RDS restore succeeded).
 */
function drillRow(event: Drill, timeZone: string): NotionRow {
  const date = formatDate(event.finishedAt, timeZone);
  const failed = event.resources.filter((r) => r.status === "FAILED").length;
  const restored = event.resources.length - failed;
  return {
    id: event.drillId,
    ...common(event.status, date),
    summary:
      failed > 0
        ? `복구 테스트: 실패 ${failed}건, 성공 ${restored}건`
        : `복구 테스트: ${restored}건 복구 확인`,
    category: [CATEGORY_OPTIONS.SECURITY.name],
    dbVerified: event.verification?.dbVerified ?? false,
    securityCheck: true,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
  };
}

/**
 * A restore is no backup run: it goes under 보안 점검 (the seed's category for events about the
 * backups themselves) so the per-type backup views and counts stay backups only.
 */
function restoreRow(event: RestoreEvent, timeZone: string): NotionRow {
  const date = formatDate(event.finishedAt, timeZone);
  const size = event.metrics?.sizeBytes;
  return {
    id: event.restoreId,
    ...common(event.status, date),
    summary: `${TYPE_LABEL[event.type]} 복구: ${event.from} → ${event.target}`,
    category: [CATEGORY_OPTIONS.SECURITY.name],
    sizeGb: size === undefined ? undefined : bytesToGb(size),
    dbVerified: false,
    securityCheck: false,
    slackLog: event.links?.slackLog,
    report: event.links?.report,
  };
}

export function mapEvent(event: DroxEvent, options: MappingOptions = {}): NotionRow {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  switch (event.schema) {
    case RESULT_SCHEMA:
      return resultRow(event, timeZone);
    case REPORT_SCHEMA:
      return reportRow(event, timeZone, options.thresholds ?? DEFAULT_THRESHOLDS);
    case CHECK_SCHEMA:
      return checkRow(event, timeZone);
    case DRILL_SCHEMA:
      return drillRow(event, timeZone);
    case RESTORE_SCHEMA:
      return restoreRow(event, timeZone);
    case MONTHLY_REPORT_SCHEMA:
      return monthlyRow(event, timeZone, options.thresholds ?? DEFAULT_THRESHOLDS);
  }
}

/** Page property values as the API takes them (structurally the SDK's request types). */
export type PropertyValue =
  | { title: RichTextItem[] }
  | { rich_text: RichTextItem[] }
  | { date: { start: string } }
  | { status: { name: string } }
  | { select: { name: string } }
  | { multi_select: { name: string }[] }
  | { number: number }
  | { checkbox: boolean }
  | { url: string };

/** A title is one line of a table: no use writing 200,000 characters into it. */
export const TITLE_MAX = TEXT_LIMIT;

/**
 * The row as page properties for the schema the writer found. Empty values (no size, no links,
 * no improvement) are left out: Notion leaves those cells empty.
 */
export function toProperties(row: NotionRow, plan: SchemaPlan): Record<string, PropertyValue> {
  const properties: Record<string, PropertyValue> = {
    [plan.titleProperty]: { title: titleText(row) },
    [PROPERTY.date]: { date: { start: row.date } },
    [PROPERTY.status]:
      plan.statusType === "select" ? { select: { name: row.status } } : { status: { name: row.status } },
    [PROPERTY.category]: { multi_select: row.category.map((name) => ({ name })) },
    [PROPERTY.week]: { select: { name: row.week } },
    [PROPERTY.health]: { select: { name: row.health } },
    [PROPERTY.dbVerified]: { checkbox: row.dbVerified },
    [PROPERTY.securityCheck]: { checkbox: row.securityCheck },
  };
  // Every text is bounded so that the properties and the body together stay far under 500 KB.
  if (plan.summaryTextProperty)
    properties[plan.summaryTextProperty] = { rich_text: richText(row.summary, TITLE_MAX) };
  if (plan.jobIdProperty) properties[plan.jobIdProperty] = { rich_text: richText(row.id) };
  if (row.sizeGb !== undefined) properties[PROPERTY.size] = { number: row.sizeGb };
  // A cut URL is a broken link; a too-long one is left out (it stays in the page body).
  if (row.slackLog && row.slackLog.length <= URL_LIMIT) properties[PROPERTY.slackLog] = { url: row.slackLog };
  if (row.report && row.report.length <= URL_LIMIT) properties[PROPERTY.report] = { url: row.report };
  if (row.improvement)
    properties[PROPERTY.improvement] = { rich_text: richText(row.improvement, PROPERTY_TEXT_MAX) };
  return properties;
}

/**
 * The title's rich text: the summary on one line, cut to one item. A title is a table row's
 * one-line label and the idempotency lookup filters on it with `equals`, so a line break there
 * (the report's summary has one) is a lookup that may not find the page it wrote, and a
 * redelivery that writes a second. The lines join with ": " as the other titles read
 * ("EBS 백업: vol-123456"); the `Summary` text property keeps the break when it is not the title.
 */
export function titleText(row: NotionRow): RichTextItem[] {
  const oneLine = row.summary
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(": ");
  return richText(oneLine, TITLE_MAX);
}
