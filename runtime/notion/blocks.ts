/**
 * The page body: what people open the page for when something failed (Job ID, times, the error
 * message, metrics; a report's counts and failed jobs; a check's findings). Pure; stays within
 * Notion's limits (./text.ts: 100 children, 2,000 characters per rich-text item, 500 KB per
 * request) by cutting every block's text to a bound, and long lists, by count and by bytes, with
 * a visible "… 외 N건".
 */
import type {
  BackupResult,
  Drill,
  DrillSummary,
  DroxEvent,
  IntegrityCheck,
  MonthlyReport,
  RestoreEvent,
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
import { DEFAULT_TIME_ZONE, formatDateTime, formatDuration } from "../contract/time";
import { formatSuccessRate } from "../settings/success-rate";
import { bytesToGb } from "./mapping";
import {
  BODY_BYTES_BUDGET,
  CHILDREN_LIMIT,
  ERROR_TEXT_MAX,
  LIST_ITEM_MAX,
  type RichTextItem,
  TEXT_LIMIT,
  jsonBytes,
  richText,
} from "./text";

export type Block =
  | { object: "block"; type: "paragraph"; paragraph: { rich_text: RichTextItem[] } }
  | { object: "block"; type: "heading_3"; heading_3: { rich_text: RichTextItem[] } }
  | { object: "block"; type: "bulleted_list_item"; bulleted_list_item: { rich_text: RichTextItem[] } }
  | { object: "block"; type: "code"; code: { rich_text: RichTextItem[]; language: "plain text" } }
  | {
      object: "block";
      type: "table";
      table: {
        table_width: number;
        has_column_header: boolean;
        has_row_header: boolean;
        children: TableRow[];
      };
    }
  | { object: "block"; type: "image"; image: { type: "file_upload"; file_upload: { id: string } } };

export interface TableRow {
  readonly object: "block";
  readonly type: "table_row";
  readonly table_row: { cells: RichTextItem[][] };
}

/** Rows a body table shows before `… 외 N건`, and the characters of one cell: with the findings
 * after it, the page stays within BODY_BYTES_BUDGET. */
export const TABLE_ROWS_MAX = 50;
export const TABLE_CELL_MAX = 200;

/**
 * A table with a header row. Notion fixes `table_width` at creation and every row must have that
 * many cells (https://developers.notion.com/reference/block#table); its rows are children, at most
 * 100 in one request like any children array.
 */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): Block {
  const row = (cells: readonly string[]): TableRow => ({
    object: "block",
    type: "table_row",
    table_row: { cells: head.map((_, i) => richText(cells[i] ?? "", TABLE_CELL_MAX)) },
  });
  return {
    object: "block",
    type: "table",
    table: {
      table_width: head.length,
      has_column_header: true,
      has_row_header: false,
      // Stryker disable next-line ArithmeticOperator: TABLE_ROWS_MAX (50) is below CHILDREN_LIMIT ± 1 either way
      children: [head, ...rows.slice(0, Math.min(TABLE_ROWS_MAX, CHILDREN_LIMIT - 1))].map(row),
    },
  };
}

// Every block but the error message holds one rich-text item at most.
export const paragraph = (text: string): Block => ({
  object: "block",
  type: "paragraph",
  paragraph: { rich_text: richText(text, TEXT_LIMIT) },
});
const heading = (text: string): Block => ({
  object: "block",
  type: "heading_3",
  heading_3: { rich_text: richText(text, TEXT_LIMIT) },
});
const bullet = (text: string, max: number = TEXT_LIMIT): Block => ({
  object: "block",
  type: "bulleted_list_item",
  bulleted_list_item: { rich_text: richText(text, max) },
});
const code = (text: string): Block => ({
  object: "block",
  type: "code",
  code: { rich_text: richText(text, ERROR_TEXT_MAX), language: "plain text" },
});

/** The label of the first block, `<label>: <id>`, which the idempotency lookup reads back. */
export function idLabel(event: DroxEvent): string {
  switch (event.schema) {
    case RESULT_SCHEMA:
      return "Job ID";
    case REPORT_SCHEMA:
      return "Report ID";
    case CHECK_SCHEMA:
      return "Check ID";
    case DRILL_SCHEMA:
      return "Drill ID";
    case RESTORE_SCHEMA:
      return "Restore ID";
    case MONTHLY_REPORT_SCHEMA:
      return "Report ID";
  }
}

/** The line that stands for the items left out; sized for the largest count. */
const more = (count: number): Block => paragraph(`… 외 ${count}건`);

/**
 * `head` in full, then each line of `lines` cut to LIST_ITEM_MAX characters, as many as fit in
 * 100 children and BODY_BYTES_BUDGET bytes, the rest summarised in one "… 외 N건" line.
 */
function fit(head: Block[], lines: readonly string[]): Block[] {
  const blocks = [...head];
  // Room for the summary line is kept from the start, so adding it never breaks a limit.
  let bytes = jsonBytes(head) + jsonBytes(more(lines.length));
  for (const [i, line] of lines.entries()) {
    const block = bullet(line, LIST_ITEM_MAX);
    const size = jsonBytes(block) + 1; // the comma between array elements
    const last = i === lines.length - 1;
    const roomLeft = CHILDREN_LIMIT - blocks.length - (last ? 0 : 1);
    if (roomLeft < 1 || bytes + size > BODY_BYTES_BUDGET) {
      blocks.push(more(lines.length - i));
      return blocks;
    }
    blocks.push(block);
    bytes += size;
  }
  return blocks;
}

function resultBlocks(event: BackupResult, timeZone: string): Block[] {
  const blocks: Block[] = [
    paragraph(`Job ID: ${event.jobId}`),
    bullet(`타입: ${event.type}`),
    bullet(`리소스: ${event.resource}`),
    bullet(`상태: ${event.status}`),
    bullet(`시작: ${formatDateTime(event.startedAt, timeZone)}`),
    bullet(`종료: ${formatDateTime(event.finishedAt, timeZone)}`),
    bullet(`실행 시간: ${formatDuration(event.durationSeconds)}`),
  ];
  if (event.error) {
    blocks.push(heading("에러 메시지"), code(event.error.message));
    if (event.error.code) blocks.push(bullet(`에러 코드: ${event.error.code}`));
  }
  const m = event.metrics;
  if (m) {
    const lines: string[] = [];
    if (m.snapshotId) lines.push(`스냅샷 ID: ${m.snapshotId}`);
    if (m.copySnapshotId)
      lines.push(`DR 사본: ${m.copySnapshotId}${m.copyRegion ? ` (${m.copyRegion})` : ""}`);
    if (m.filesCopied !== undefined && m.filesTotal !== undefined)
      lines.push(`파일 수: ${m.filesCopied}/${m.filesTotal}`);
    else if (m.filesCopied !== undefined) lines.push(`복사한 파일: ${m.filesCopied}`);
    if (m.filesFailed !== undefined) lines.push(`실패한 파일: ${m.filesFailed}`);
    if (m.sizeBytes !== undefined) lines.push(`크기: ${bytesToGb(m.sizeBytes)} GB (${m.sizeBytes} bytes)`);
    if (m.bytesCopied !== undefined) lines.push(`복사한 바이트: ${m.bytesCopied}`);
    if (lines.length > 0) blocks.push(heading("메트릭"), ...lines.map((line) => bullet(line)));
  }
  if (event.verification) {
    const v = event.verification;
    blocks.push(
      heading("검증"),
      bullet(`DB 검증: ${v.dbVerified ? "완료" : "미완료"}`),
      bullet(`보안 점검: ${v.securityCheck ? "완료" : "미완료"}`),
    );
  }
  if (event.links?.slackLog) blocks.push(bullet(`Slack 로그: ${event.links.slackLog}`));
  if (event.links?.report) blocks.push(bullet(`리포트: ${event.links.report}`));
  return blocks;
}

function reportBlocks(event: WeeklyReport, timeZone: string): Block[] {
  const head: Block[] = [
    paragraph(`Report ID: ${event.reportId}`),
    bullet(
      `기간: ${formatDateTime(event.periodStart, timeZone)} ~ ${formatDateTime(event.periodEnd, timeZone)}`,
    ),
    bullet(`주차: ${event.weekLabel}`),
    bullet(`총 실행: ${event.total}건`),
    bullet(`성공: ${event.succeeded}건`),
    bullet(`경고: ${event.warnings}건`),
    bullet(`실패: ${event.failed}건`),
    bullet(`성공률: ${formatSuccessRate(event.successRate)}`),
    bullet(`평균 실행 시간: ${formatDuration(event.averageDurationSeconds)}`),
    ...chartBlocks(event.chart),
  ];
  if (event.drills) head.push(...drillSummaryBlocks(event.drills, timeZone));
  if (event.failedJobs.length === 0) return head;
  head.push(heading("실패한 작업"));
  return fit(
    head,
    event.failedJobs.map((job) => `${job.type}: ${job.resource} (Job ID: ${job.jobId})`),
  );
}

/**
 * The chart the report's task uploaded (Notion's file upload API: an upload that is sent is
 * attached by an image block naming its id — https://developers.notion.com/docs/uploading-small-files).
 */
export const uploadedImage = (fileUploadId: string): Block => ({
  object: "block",
  type: "image",
  image: { type: "file_upload", file_upload: { id: fileUploadId } },
});

function chartBlocks(chart: WeeklyReport["chart"]): Block[] {
  return chart?.notionFileUploadId ? [uploadedImage(chart.notionFileUploadId)] : [];
}

function monthlyBlocks(event: MonthlyReport, timeZone: string): Block[] {
  const head: Block[] = [
    paragraph(`Report ID: ${event.reportId}`),
    bullet(
      `기간: ${formatDateTime(event.periodStart, timeZone)} ~ ${formatDateTime(event.periodEnd, timeZone)}`,
    ),
    bullet(`월: ${monthLabel(event.month)}`),
    bullet(`총 실행: ${event.total}건`),
    bullet(`성공: ${event.succeeded}건`),
    bullet(`경고: ${event.warnings}건`),
    bullet(`실패: ${event.failed}건`),
    bullet(`성공률: ${formatSuccessRate(event.successRate)}`),
    bullet(`평균 실행 시간: ${formatDuration(event.averageDurationSeconds)}`),
    ...chartBlocks(event.chart),
  ];
  const slice = (t: { total: number; successRate: number }) =>
    `${t.total}건, 성공률 ${t.total === 0 ? "-" : formatSuccessRate(t.successRate)}`;
  if (event.byType.length > 0)
    head.push(heading("타입별"), ...event.byType.map((t) => bullet(`${t.type}: ${slice(t)}`)));
  head.push(heading("주차별"), ...event.weeks.map((w) => bullet(`${w.weekLabel}: ${slice(w)}`)));
  if (event.failedJobs.length === 0) return head;
  head.push(heading("실패한 작업"));
  return fit(
    head,
    event.failedJobs.map((job) => `${job.type}: ${job.resource} (Job ID: ${job.jobId})`),
  );
}

function checkBlocks(event: IntegrityCheck, timeZone: string): Block[] {
  const head: Block[] = [
    paragraph(`Check ID: ${event.checkId}`),
    bullet(`점검 시각: ${formatDateTime(event.checkedAt, timeZone)}`),
    bullet(`상태: ${event.status}`),
  ];
  if (event.checkedResources !== undefined) head.push(bullet(`점검 대상: ${event.checkedResources}개`));
  if (event.findings.length === 0) return [...head, paragraph("발견된 문제가 없습니다.")];
  head.push(heading(`발견된 문제 (${event.findings.length}건)`));
  return fit(
    head,
    event.findings.map((f) => `[${f.severity}] ${f.resource}: ${f.message}`),
  );
}

/** Failures listed in the report's drill section before the rest are counted. */
const REPORT_DRILL_FAILURES = 10;
/**
 * Restore times listed there before the rest are counted: they are every resource of the last
 * drill, which can be every target (hundreds of volumes), and the section comes before the failed
 * jobs in one children array of at most 100.
 */
export const REPORT_DRILL_RESTORE_TIMES = 20;

/** The weekly report's "복구 테스트" section: last drill, time to restore per resource, failures. */
function drillSummaryBlocks(summary: DrillSummary, timeZone: string): Block[] {
  const blocks: Block[] = [heading("복구 테스트")];
  if (summary.drills === 0 || !summary.lastDrillId || !summary.lastDrillAt) {
    return [...blocks, paragraph("이 기간에 실행된 복구 테스트가 없습니다.")];
  }
  blocks.push(
    bullet(`실행: ${summary.drills}회`),
    bullet(
      `마지막 테스트: ${formatDateTime(summary.lastDrillAt, timeZone)} (${summary.lastStatus ?? "-"}, Drill ID: ${summary.lastDrillId})`,
    ),
  );
  const times = summary.restoreTimes.map((t) =>
    bullet(`복구 시간 ${t.type}: ${t.resource} — ${formatDuration(t.seconds)}`, LIST_ITEM_MAX),
  );
  blocks.push(...times.slice(0, REPORT_DRILL_RESTORE_TIMES));
  if (times.length > REPORT_DRILL_RESTORE_TIMES)
    blocks.push(paragraph(`… 외 ${times.length - REPORT_DRILL_RESTORE_TIMES}건`));
  const failures = summary.failures.map((f) =>
    bullet(`실패 ${f.type}: ${f.resource} — ${f.message} (Drill ID: ${f.drillId})`),
  );
  blocks.push(...failures.slice(0, REPORT_DRILL_FAILURES));
  if (failures.length > REPORT_DRILL_FAILURES)
    blocks.push(paragraph(`… 외 ${failures.length - REPORT_DRILL_FAILURES}건`));
  return blocks;
}

function drillBlocks(event: Drill, timeZone: string): Block[] {
  const head: Block[] = [
    paragraph(`Drill ID: ${event.drillId}`),
    bullet(`시작: ${formatDateTime(event.startedAt, timeZone)}`),
    bullet(`종료: ${formatDateTime(event.finishedAt, timeZone)}`),
    bullet(`상태: ${event.status}`),
    bullet(`DB 검증: ${event.verification?.dbVerified ? "완료" : "미완료"}`),
  ];
  if (event.resources.length > 0) {
    head.push(
      heading("복구 결과"),
      table(
        ["타입", "리소스", "백업", "상태", "복구 시간", "발견 사항"],
        event.resources.map((r) => [
          r.type,
          r.resource,
          r.snapshotId ?? (r.sample ? `표본 ${r.sample.objects}/${r.sample.sourceObjects}개` : "-"),
          r.status,
          r.secondsToRestore === undefined ? "-" : formatDuration(r.secondsToRestore),
          `${r.findings.length}건`,
        ]),
      ),
    );
    if (event.resources.length > TABLE_ROWS_MAX)
      head.push(paragraph(`… 외 ${event.resources.length - TABLE_ROWS_MAX}건`));
  }
  const findings = [...event.findings, ...event.resources.flatMap((r) => r.findings)];
  if (findings.length === 0) return [...head, paragraph("발견된 문제가 없습니다.")];
  head.push(heading(`발견된 문제 (${findings.length}건)`));
  return fit(
    head,
    findings.map((f) => `[${f.severity}] ${f.resource}: ${f.message}`),
  );
}

function restoreBlocks(event: RestoreEvent, timeZone: string): Block[] {
  const blocks: Block[] = [
    paragraph(`Restore ID: ${event.restoreId}`),
    bullet(`타입: ${event.type}`),
    bullet(`원본: ${event.from}${event.at ? ` (${formatDateTime(event.at, timeZone)} 시점)` : ""}`),
    bullet(`리소스: ${event.resource}`),
    bullet(`복구 대상: ${event.target}`),
    ...(event.region ? [bullet(`리전: ${event.region}`)] : []),
    bullet(`실행자: ${event.requestedBy}`),
    bullet(`상태: ${event.status}`),
    bullet(`시작: ${formatDateTime(event.startedAt, timeZone)}`),
    bullet(`종료: ${formatDateTime(event.finishedAt, timeZone)}`),
    bullet(`소요 시간: ${formatDuration(event.durationSeconds)}`),
  ];
  if (event.error) {
    blocks.push(heading("에러 메시지"), code(event.error.message));
    if (event.error.code) blocks.push(bullet(`에러 코드: ${event.error.code}`));
  }
  const m = event.metrics;
  const lines: string[] = [];
  if (m?.endpoint) lines.push(`엔드포인트: ${m.endpoint}`);
  if (m?.filesTotal !== undefined) lines.push(`파일 수: ${m.filesCopied ?? 0}/${m.filesTotal}`);
  if (m?.filesSkipped) lines.push(`이미 같은 파일: ${m.filesSkipped}`);
  if (m?.filesRefused) lines.push(`덮어쓰지 않은 파일: ${m.filesRefused}`);
  if (m?.filesFailed) lines.push(`실패한 파일: ${m.filesFailed}`);
  if (m?.sizeBytes !== undefined) lines.push(`크기: ${bytesToGb(m.sizeBytes)} GB (${m.sizeBytes} bytes)`);
  // Not `lines.map(bullet)`: map passes the index as bullet's `max`, which cut every line to its index.
  if (lines.length > 0) blocks.push(heading("메트릭"), ...lines.map((line) => bullet(line)));
  return blocks;
}

/** The page's children: at most 100, within BODY_BYTES_BUDGET (one request). */
export function pageBlocks(event: DroxEvent, timeZone: string = DEFAULT_TIME_ZONE): Block[] {
  switch (event.schema) {
    case RESULT_SCHEMA:
      return resultBlocks(event, timeZone);
    case REPORT_SCHEMA:
      return reportBlocks(event, timeZone);
    case CHECK_SCHEMA:
      return checkBlocks(event, timeZone);
    case DRILL_SCHEMA:
      return drillBlocks(event, timeZone);
    case RESTORE_SCHEMA:
      return restoreBlocks(event, timeZone);
    case MONTHLY_REPORT_SCHEMA:
      return monthlyBlocks(event, timeZone);
  }
}
