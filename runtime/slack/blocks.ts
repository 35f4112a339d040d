/**
 * The Slack payload of an event: the seed's `text` (the notification and fallback) plus Block Kit
 * blocks rendering the same content richer. Slack rejects a message whose blocks break its limits
 * (50 blocks, 3,000 characters a section, 2,000 a field, 150 a header, and about 12,000 characters
 * of text in all), so every list and long text is cut here with a visible `… 외 N건` / `…`
 * instead. Pure: no I/O.
 */
import type {
  BackupResult,
  Drill,
  DroxEvent,
  IntegrityCheck,
  MonthlyReport,
  RestoreEvent,
  WeeklyReport,
} from "../contract/events";
import { monthLabel } from "../reports/labels";
import { sparkline } from "../reports/sparkline";
import { DEFAULT_TIME_ZONE, formatDate, formatDateTime, formatDuration } from "../contract/time";
import {
  BACKUP_TITLES,
  CHECK_TITLES,
  DEFAULT_THRESHOLDS,
  DRILL_TITLES,
  drillFindings,
  drillResourceLine,
  findingLine,
  formatMessage,
  formatTestMessage,
  metricLines,
  RESTORE_TITLES,
  restoreMetricLines,
  restoreSource,
  REVIEW_LINE,
  successRateLine,
  tallyLine,
  TEST_TITLE,
  TEXT_LIMIT,
  URGENT_LINE,
  type FormatOptions,
} from "./messages";

export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT = 3_000;
export const MAX_FIELD_TEXT = 2_000;
export const MAX_FIELDS = 10;
export const MAX_HEADER_TEXT = 150;
export const MAX_CONTEXT_ELEMENTS = 10;
/** One list line (a failed job, a finding) is cut to this so a single item never fills a section. */
export const MAX_LIST_LINE = 500;
/**
 * The text all blocks of one message may hold together. Slack answers 400 `msg_blocks_too_long`
 * beyond a total that is on no Block Kit page: its maintainers give "12,000 text characters with a
 * buffer for block containers" (https://github.com/slackapi/bolt-js/issues/2509), and a payload
 * whose text objects summed 11,341 characters was refused while one of 9,597 passed
 * (https://github.com/slackapi/bolt-js/issues/2867). 9,000 stays under every measured refusal.
 */
export const MAX_BLOCKS_TEXT = 9_000;
/** The shortest a single text is cut to when the blocks' total is over budget. */
const MIN_CUT_TEXT = 200;

export interface MrkdwnText {
  readonly type: "mrkdwn";
  readonly text: string;
}
export interface PlainText {
  readonly type: "plain_text";
  readonly text: string;
  readonly emoji?: boolean;
}
export interface HeaderBlock {
  readonly type: "header";
  readonly text: PlainText;
}
export interface SectionBlock {
  readonly type: "section";
  readonly text?: MrkdwnText;
  readonly fields?: MrkdwnText[];
}
export interface ContextBlock {
  readonly type: "context";
  readonly elements: MrkdwnText[];
}
export interface DividerBlock {
  readonly type: "divider";
}
export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock | DividerBlock;

export interface SlackPayload {
  readonly text: string;
  readonly blocks: SlackBlock[];
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/**
 * Slack's required escaping of `&`, `<`, `>` in mrkdwn, cut to `max` characters after escaping with
 * a trailing `…` — never inside an entity or a surrogate pair.
 */
export function escapeMrkdwn(text: string, max = Number.POSITIVE_INFINITY): string {
  let out = "";
  for (const char of text) {
    const piece = ESCAPES[char] ?? char;
    if (out.length + piece.length > max) {
      // Make room for the ellipsis by dropping whole pieces.
      while (out.length + 1 > max) out = dropLastPiece(out);
      return `${out}…`;
    }
    out += piece;
  }
  return out;
}

function dropLastPiece(text: string): string {
  const entity = /&(?:amp|lt|gt);$/.exec(text);
  if (entity) return text.slice(0, -entity[0].length);
  const last = text.codePointAt(text.length - 2);
  // Stryker disable next-line ConditionalExpression: a one-character text gives undefined, and `undefined > 0xffff` is false as well: the check only says so
  return last !== undefined && last > 0xffff ? text.slice(0, -2) : text.slice(0, -1);
}

function plainCapped(text: string, max: number): string {
  const chars = Array.from(text);
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral,MethodExpression,ArithmeticOperator: every header is a fixed title ("N주차", "YYYY년 M월" at most) far under 150, and fitText never cuts a text under MIN_CUT_TEXT: no input reaches the cut
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function header(text: string): HeaderBlock {
  return {
    type: "header",
    text: { type: "plain_text", text: plainCapped(text, MAX_HEADER_TEXT), emoji: true },
  };
}

/** A `*label*\nvalue` field; the value is escaped and cut to fit the field limit. */
function field(label: string, value: string): MrkdwnText {
  const head = `*${label}*\n`;
  return { type: "mrkdwn", text: head + escapeMrkdwn(value, MAX_FIELD_TEXT - head.length) };
}

function fieldsSection(fields: MrkdwnText[]): SectionBlock {
  // Stryker disable next-line MethodExpression: the builders make at most 8 fields (a restore's), under the 10 allowed
  return { type: "section", fields: fields.slice(0, MAX_FIELDS) };
}

function textSection(raw: string): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(raw, MAX_SECTION_TEXT) } };
}

/** A titled code block holding a message of any length, cut with `…` to fit one section. */
function codeSection(title: string, body: string): SectionBlock {
  const head = `*${title}*\n\`\`\``;
  const tail = "```";
  // Three backticks inside would end the code block early.
  const safe = body.replace(/```/g, "'''");
  const text = head + escapeMrkdwn(safe, MAX_SECTION_TEXT - head.length - tail.length) + tail;
  return { type: "section", text: { type: "mrkdwn", text } };
}

function context(...lines: string[]): ContextBlock {
  return {
    type: "context",
    // Stryker disable next-line MethodExpression: a context holds at most 3 lines (the call to action and two links), under the 10 allowed
    elements: lines
      .slice(0, MAX_CONTEXT_ELEMENTS)
      .map((line) => ({ type: "mrkdwn", text: escapeMrkdwn(line, MAX_FIELD_TEXT) })),
  };
}

/**
 * A titled bullet list packed into as few sections as fit (each ≤ 3,000 characters), at most
 * `maxBlocks` blocks and `maxChars` characters of text; what does not fit is counted in a last
 * `… 외 N건` block.
 */
export function listBlocks(
  title: string,
  lines: readonly string[],
  maxBlocks: number,
  maxChars: number = MAX_BLOCKS_TEXT,
): SlackBlock[] {
  const head = `*${escapeMrkdwn(title)}*`;
  const rest = (n: number) => `… 외 ${n}건`;
  // The title and the `… 외 N건` line must fit, or the list stays in the text alone.
  if (lines.length === 0 || maxBlocks < 2 || maxChars < head.length + rest(lines.length).length) return [];
  const sections: string[] = [];
  let current = head;
  let total = head.length;
  let used = 0;
  for (const line of lines) {
    const piece = escapeMrkdwn(line, MAX_LIST_LINE);
    const reserve = used + 1 < lines.length ? rest(lines.length - used - 1).length : 0;
    if (total + 1 + piece.length + reserve > maxChars) break;
    if (current.length + 1 + piece.length <= MAX_SECTION_TEXT) {
      current += `\n${piece}`;
      total += 1 + piece.length;
      used += 1;
      continue;
    }
    // Keep one block free for the `… 외 N건` line should the list not fit.
    if (sections.length + 1 >= maxBlocks - 1) break;
    sections.push(current);
    current = piece;
    total += piece.length;
    used += 1;
  }
  sections.push(current);
  const blocks: SlackBlock[] = sections.map((text) => ({ type: "section", text: { type: "mrkdwn", text } }));
  if (used < lines.length) blocks.push(context(rest(lines.length - used)));
  return blocks;
}

/** Every character of text the blocks carry, as Slack adds them up for `msg_blocks_too_long`. */
export function blocksTextLength(blocks: readonly SlackBlock[]): number {
  let total = 0;
  for (const block of blocks) {
    if (block.type === "header") total += block.text.text.length;
    if (block.type === "section") {
      total += block.text?.text.length ?? 0;
      for (const f of block.fields ?? []) total += f.text.length;
    }
    if (block.type === "context") for (const e of block.elements) total += e.text.length;
  }
  return total;
}

/** An escaped mrkdwn text cut to `max` with `…`, keeping a closing code fence and whole entities. */
function cutMrkdwn(text: string, max: number): string {
  const fence = text.endsWith("```") && text.indexOf("```") < text.length - 3 ? "```" : "";
  // Stryker disable next-line MethodExpression: fitText only calls with max below the length, so the cut drops the fence's own characters first and ends the same
  let body = fence ? text.slice(0, -3) : text;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: fitText's target is always below the text's length (over > 0, a text > MIN_CUT_TEXT): the return is a guard should a caller pass a max the text already fits
  if (body.length + fence.length <= max) return text;
  while (body.length + 1 + fence.length > max) body = dropLastPiece(body);
  return `${body}…${fence}`;
}

/**
 * Cuts the longest texts (never below MIN_CUT_TEXT) until the blocks hold at most `max` characters.
 * Only single values reach this — an error message, a resource name, links — each already within its
 * own block limit; lists are budgeted in listBlocks so that their `… 외 N건` stays true.
 */
function fitText(blocks: SlackBlock[], max: number): SlackBlock[] {
  let over = blocksTextLength(blocks) - max;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: without this shortcut the loop below stops at once and returns an equal copy
  if (over <= 0) return blocks;
  const texts: (MrkdwnText | PlainText)[] = [];
  const copy = blocks.map((block): SlackBlock => {
    const own = <T extends MrkdwnText | PlainText>(t: T): T => {
      const clone = { ...t };
      texts.push(clone);
      return clone;
    };
    switch (block.type) {
      // Stryker disable next-line ConditionalExpression: without its own case a header falls into the section's, which clones its text the same way
      case "header":
        return { ...block, text: own(block.text) };
      case "section":
        return {
          ...block,
          ...(block.text ? { text: own(block.text) } : {}),
          ...(block.fields ? { fields: block.fields.map(own) } : {}),
        };
      case "context":
        return { ...block, elements: block.elements.map(own) };
      // Stryker disable next-line ConditionalExpression,StringLiteral: no builder here makes a divider; the case keeps the switch exhaustive
      case "divider":
        return block;
    }
  });
  texts.sort((a, b) => b.text.length - a.text.length);
  for (const t of texts) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: an early exit only: with over ≤ 0 or a text ≤ MIN_CUT_TEXT the target below is at least the text's length, which leaves it whole
    if (over <= 0 || t.text.length <= MIN_CUT_TEXT) break;
    const target = Math.max(MIN_CUT_TEXT, t.text.length - over);
    // Stryker disable next-line ConditionalExpression: the only plain_text is a header, at most 150 characters, which never reaches a cut (MIN_CUT_TEXT is 200)
    const cut = t.type === "mrkdwn" ? cutMrkdwn(t.text, target) : plainCapped(t.text, target);
    over -= t.text.length - cut.length;
    (t as { text: string }).text = cut;
  }
  return copy;
}

function sizeText(bytes: number): string {
  // GB as AWS sizes volumes (1 GB = 1024³ bytes), like the Notion Backup_Size column.
  const gb = bytes / 1024 ** 3;
  // Stryker disable next-line EqualityOperator: gb is a whole number of bytes times 2^-30, which is never exactly 0.1
  return gb >= 0.1 ? `${gb.toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function linkLines(links: { slackLog?: string; report?: string } | undefined): string[] {
  const out: string[] = [];
  if (links?.report) out.push(`리포트: ${links.report}`);
  if (links?.slackLog) out.push(`Slack 로그: ${links.slackLog}`);
  return out;
}

function resultBlocks(event: BackupResult, timeZone: string): SlackBlock[] {
  const fields = [field("타입", event.type), field("리소스", event.resource)];
  if (event.status !== "FAILED") fields.push(field("실행 시간", formatDuration(event.durationSeconds)));
  fields.push(field("Job ID", event.jobId));
  if (event.status !== "SUCCEEDED") fields.push(field("시각", formatDateTime(event.startedAt, timeZone)));
  if (event.metrics?.sizeBytes !== undefined) fields.push(field("크기", sizeText(event.metrics.sizeBytes)));
  const blocks: SlackBlock[] = [header(BACKUP_TITLES[event.status]), fieldsSection(fields)];
  if (event.error) {
    blocks.push(codeSection(event.status === "FAILED" ? "에러 메시지" : "경고 내용", event.error.message));
  }
  const metrics = metricLines(event.metrics);
  if (metrics.length > 0) blocks.push(textSection(["*메트릭*", ...metrics].join("\n")));
  const footer = linkLines(event.links);
  if (event.status === "FAILED") footer.unshift(URGENT_LINE);
  if (event.status === "WARNING") footer.unshift(REVIEW_LINE);
  if (footer.length > 0) blocks.push(context(...footer));
  return fitText(blocks, MAX_BLOCKS_TEXT);
}

function reportBlocks(report: WeeklyReport, options: Required<FormatOptions>): SlackBlock[] {
  const fields = [field("총 실행", `${report.total}건`), field("성공", `${report.succeeded}건`)];
  if (report.warnings > 0) fields.push(field("경고", `${report.warnings}건`));
  fields.push(field("실패", `${report.failed}건`));
  // Stryker disable next-line Regex: successRateLine always starts with "성공률: ", its only occurrence
  fields.push(field("성공률", successRateLine(report, options.thresholds).replace(/^성공률: /, "")));
  fields.push(field("평균 실행 시간", formatDuration(report.averageDurationSeconds)));
  const period = `기간: ${formatDate(report.periodStart, options.timeZone)} ~ ${formatDate(report.periodEnd, options.timeZone)}`;
  // The list gets the room the rest leaves: at least half, whatever the links hold.
  const head = fitText(
    [
      header(`📊 ${report.weekLabel} 백업 리포트`),
      fieldsSection(fields),
      context(period, ...linkLines(report.links)),
    ],
    // Stryker disable next-line ArithmeticOperator: the fixed blocks hold at most ~4,450 characters (two 2,000-character links, short fields), so this half never cuts
    MAX_BLOCKS_TEXT / 2,
  );
  // An incoming webhook posts no picture: the chart's success-rate line comes as text instead.
  const rates = report.recentSuccessRates ?? [];
  if (rates.length > 0) head.push(trendContext(rates));
  const lines = report.failedJobs.map((job) => `• ${job.type}: ${job.resource}`);
  const room = MAX_BLOCKS_TEXT - blocksTextLength(head);
  // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
  return [...head, ...listBlocks("실패한 작업", lines, MAX_BLOCKS - head.length, room)];
}

/** `성공률 추이 (최근 8주): ▅▆▇█▇▆█▇`, oldest week first. */
export function trendContext(rates: readonly (number | null)[]): ContextBlock {
  return context(`성공률 추이 (최근 ${rates.length}주): ${sparkline(rates)}`);
}

function monthlyBlocks(report: MonthlyReport, options: Required<FormatOptions>): SlackBlock[] {
  const fields = [field("총 실행", `${report.total}건`), field("성공", `${report.succeeded}건`)];
  if (report.warnings > 0) fields.push(field("경고", `${report.warnings}건`));
  fields.push(field("실패", `${report.failed}건`));
  // Stryker disable next-line Regex: successRateLine always starts with "성공률: ", its only occurrence
  fields.push(field("성공률", successRateLine(report, options.thresholds).replace(/^성공률: /, "")));
  fields.push(field("평균 실행 시간", formatDuration(report.averageDurationSeconds)));
  const period = `기간: ${formatDate(report.periodStart, options.timeZone)} ~ ${formatDate(report.periodEnd, options.timeZone)}`;
  const head: SlackBlock[] = [header(`📊 ${monthLabel(report.month)} 백업 리포트`), fieldsSection(fields)];
  if (report.byType.length > 0)
    head.push(
      textSection(
        ["*타입별*", ...report.byType.map((t) => `• ${t.type}: ${tallyLine(t, options.thresholds)}`)].join(
          "\n",
        ),
      ),
    );
  head.push(
    textSection(
      ["*주차별*", ...report.weeks.map((w) => `• ${w.weekLabel}: ${tallyLine(w, options.thresholds)}`)].join(
        "\n",
      ),
    ),
    context(period, ...linkLines(report.links)),
  );
  // Stryker disable next-line ArithmeticOperator: the fixed blocks hold at most ~4,450 characters (two 2,000-character links, short fields), so this half never cuts
  const fitted = fitText(head, MAX_BLOCKS_TEXT / 2);
  const lines = report.failedJobs.map((job) => `• ${job.type}: ${job.resource}`);
  const room = MAX_BLOCKS_TEXT - blocksTextLength(fitted);
  // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
  return [...fitted, ...listBlocks("실패한 작업", lines, MAX_BLOCKS - fitted.length, room)];
}

function checkBlocks(check: IntegrityCheck, timeZone: string): SlackBlock[] {
  const fields = [field("점검 ID", check.checkId), field("시각", formatDateTime(check.checkedAt, timeZone))];
  if (check.checkedResources !== undefined) fields.push(field("점검 대상", `${check.checkedResources}개`));
  fields.push(
    check.findings.length === 0
      ? field("결과", "이상 없음")
      : field("발견 사항", `${check.findings.length}건`),
  );
  const footer = linkLines(check.links);
  if (check.status === "FAILED") footer.unshift(URGENT_LINE);
  if (check.status === "WARNING") footer.unshift(REVIEW_LINE);
  const fixed = fitText(
    [
      header(CHECK_TITLES[check.status]),
      fieldsSection(fields),
      ...(footer.length > 0 ? [context(...footer)] : []),
    ],
    // Stryker disable next-line ArithmeticOperator: the fixed blocks hold at most ~4,450 characters (two 2,000-character links, short fields), so this half never cuts
    MAX_BLOCKS_TEXT / 2,
  );
  const head = fixed.slice(0, 2);
  const tail = fixed.slice(2);
  const list = listBlocks(
    "발견 사항 목록",
    check.findings.map(findingLine),
    // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
    MAX_BLOCKS - fixed.length,
    MAX_BLOCKS_TEXT - blocksTextLength(fixed),
  );
  return [...head, ...list, ...tail];
}

function drillBlocks(drill: Drill, timeZone: string): SlackBlock[] {
  const findings = drillFindings(drill);
  const fields = [
    field("Drill ID", drill.drillId),
    field("시각", formatDateTime(drill.startedAt, timeZone)),
    field("복구 대상", `${drill.resources.length}개`),
    findings.length === 0 ? field("결과", "이상 없음") : field("발견 사항", `${findings.length}건`),
  ];
  const footer = linkLines(drill.links);
  if (drill.status === "FAILED") footer.unshift(URGENT_LINE);
  if (drill.status === "WARNING") footer.unshift(REVIEW_LINE);
  const fixed = fitText(
    [
      header(DRILL_TITLES[drill.status]),
      fieldsSection(fields),
      ...(footer.length > 0 ? [context(...footer)] : []),
    ],
    // Stryker disable next-line ArithmeticOperator: the fixed blocks hold at most ~4,450 characters (two 2,000-character links, short fields), so this half never cuts
    MAX_BLOCKS_TEXT / 2,
  );
  // The resources and the findings share what the fixed blocks leave, half each at most.
  const room = MAX_BLOCKS_TEXT - blocksTextLength(fixed);
  // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
  const blockRoom = MAX_BLOCKS - fixed.length;
  const resources = listBlocks(
    "복구 결과",
    drill.resources.map(drillResourceLine),
    // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
    Math.floor(blockRoom / 2),
    findings.length > 0 ? Math.floor(room / 2) : room,
  );
  const list = listBlocks(
    "발견 사항 목록",
    findings.map(findingLine),
    // Stryker disable next-line ArithmeticOperator: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
    blockRoom - resources.length,
    room - blocksTextLength(resources),
  );
  return [...fixed.slice(0, 2), ...resources, ...list, ...fixed.slice(2)];
}

function restoreBlocks(event: RestoreEvent, timeZone: string): SlackBlock[] {
  const fields = [
    field("타입", event.type),
    field("원본", restoreSource(event, timeZone)),
    field("복구 대상", event.target),
    field("소요 시간", formatDuration(event.durationSeconds)),
    field("실행자", event.requestedBy),
    field("Restore ID", event.restoreId),
  ];
  if (event.region !== undefined) fields.push(field("리전", event.region));
  if (event.status !== "SUCCEEDED") fields.push(field("시각", formatDateTime(event.startedAt, timeZone)));
  const blocks: SlackBlock[] = [header(RESTORE_TITLES[event.status]), fieldsSection(fields)];
  if (event.error) {
    blocks.push(codeSection(event.status === "FAILED" ? "에러 메시지" : "경고 내용", event.error.message));
  }
  const metrics = restoreMetricLines(event);
  if (metrics.length > 0) blocks.push(textSection(["*메트릭*", ...metrics].join("\n")));
  const footer = linkLines(event.links);
  if (event.status === "FAILED") footer.unshift(URGENT_LINE);
  if (event.status === "WARNING") footer.unshift(REVIEW_LINE);
  if (footer.length > 0) blocks.push(context(...footer));
  // Three fields of up to 2,048 characters, the error and two links add up to ~13,000: over Slack's total.
  return fitText(blocks, MAX_BLOCKS_TEXT);
}

function wireText(text: string): string {
  return escapeMrkdwn(text, TEXT_LIMIT);
}

/** The `{ text, blocks }` Slack receives for an event. */
export function buildPayload(event: DroxEvent, options: FormatOptions = {}): SlackPayload {
  const resolved: Required<FormatOptions> = {
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
    thresholds: options.thresholds ?? DEFAULT_THRESHOLDS,
  };
  let blocks: SlackBlock[];
  switch (event.schema) {
    case "backup.result.v1":
      blocks = resultBlocks(event, resolved.timeZone);
      break;
    case "backup.report.v1":
      blocks = reportBlocks(event, resolved);
      break;
    case "backup.check.v1":
      blocks = checkBlocks(event, resolved.timeZone);
      break;
    case "backup.drill.v1":
      blocks = drillBlocks(event, resolved.timeZone);
      break;
    case "backup.restore.v1":
      blocks = restoreBlocks(event, resolved.timeZone);
      break;
    case "backup.monthly-report.v1":
      blocks = monthlyBlocks(event, resolved);
      break;
  }
  // Stryker disable next-line MethodExpression: sections split only past 2,500 characters (a line is at most 500), so 9,000 make at most 4 a list: the 50-block limit never binds
  return { text: wireText(formatMessage(event, resolved)), blocks: blocks.slice(0, MAX_BLOCKS) };
}

/** The test message's payload. */
export function buildTestPayload(options: FormatOptions & { readonly now?: Date } = {}): SlackPayload {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const now = options.now ?? new Date();
  return {
    text: wireText(formatTestMessage({ timeZone, now })),
    blocks: [
      header(TEST_TITLE),
      textSection("Slack 연동이 정상적으로 설정되었습니다."),
      context(`시각: ${formatDateTime(now, timeZone)} (${timeZone})`),
    ],
  };
}
