/**
 * The "백업 로그" database schema from the seed, as data: the writer checks the real schema against
 * it once per cold start, and the doctor and `notion init` reuse the same description so the three
 * can never disagree. No SDK imports: this is plain data plus one pure function.
 */
import { DroxError } from "../contract/errors";

export type NotionPropertyType =
  "title" | "rich_text" | "date" | "status" | "select" | "multi_select" | "number" | "checkbox" | "url";

export type OptionColor =
  "default" | "gray" | "brown" | "orange" | "yellow" | "green" | "blue" | "purple" | "pink" | "red";

export interface OptionSpec {
  readonly name: string;
  readonly color: OptionColor;
}

export interface PropertySpec {
  /** Types the writer can fill, the first being the one `notion init` creates. */
  readonly types: readonly NotionPropertyType[];
  /** Options the writer uses; must exist beforehand only for `status` properties (the API cannot add them). */
  readonly options?: readonly OptionSpec[];
  /** Not in the seed: recommended extra, used for the fast idempotency lookup when present. */
  readonly optional?: boolean;
  /** One line for the doctor and the README. */
  readonly description: string;
}

export const STATUS_OPTIONS = {
  SUCCEEDED: { name: "✅ 완료", color: "green" },
  WARNING: { name: "⚠️ 점검필요", color: "yellow" },
  FAILED: { name: "❌ 실패", color: "red" },
} as const satisfies Record<string, OptionSpec>;

export const HEALTH_OPTIONS = {
  SUCCEEDED: { name: "정상", color: "green" },
  WARNING: { name: "주의", color: "yellow" },
  FAILED: { name: "이상", color: "red" },
} as const satisfies Record<string, OptionSpec>;

export const CATEGORY_OPTIONS = {
  EBS: { name: "AWS Snapshot", color: "orange" },
  RDS: { name: "RDS Dump", color: "blue" },
  S3: { name: "S3 Sync", color: "green" },
  LOCAL_HDD: { name: "Local HDD Backup", color: "gray" },
  SECURITY: { name: "보안 점검", color: "purple" },
} as const satisfies Record<string, OptionSpec>;

export const WEEK_OPTIONS: readonly OptionSpec[] = [1, 2, 3, 4, 5].map((n) => ({
  name: `${n}주차`,
  color: "default",
}));

/** Property names exactly as the seed spells them (case and underscores matter to Notion). */
export const PROPERTY = {
  date: "Date",
  summary: "Summary",
  status: "Status",
  category: "Category",
  week: "Week",
  health: "System_Health",
  size: "Backup_Size",
  dbVerified: "DB_Verified",
  securityCheck: "Security_Check",
  slackLog: "Slack_Log_Link",
  report: "Report_Link",
  improvement: "Improvement",
  jobId: "Job_ID",
} as const;

export const EXPECTED_SCHEMA: Readonly<Record<string, PropertySpec>> = {
  [PROPERTY.date]: {
    types: ["date"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "백업 실행 날짜 (finish date, display time zone)",
  },
  [PROPERTY.summary]: {
    types: ["rich_text", "title"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "백업 요약; the title property gets it too",
  },
  [PROPERTY.status]: {
    types: ["status", "select"],
    options: Object.values(STATUS_OPTIONS),
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "✅ 완료 / ⚠️ 점검필요 / ❌ 실패",
  },
  [PROPERTY.category]: {
    types: ["multi_select"],
    options: Object.values(CATEGORY_OPTIONS),
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "AWS Snapshot, RDS Dump, S3 Sync, Local HDD Backup, 보안 점검",
  },
  [PROPERTY.week]: {
    types: ["select"],
    options: WEEK_OPTIONS,
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "N주차 (1–5)",
  },
  [PROPERTY.health]: {
    types: ["select"],
    options: Object.values(HEALTH_OPTIONS),
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "정상 / 주의 / 이상",
  },
  [PROPERTY.size]: {
    types: ["number"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "백업 크기 (GB, 1 GB = 1024³ bytes)",
  },
  [PROPERTY.dbVerified]: {
    types: ["checkbox"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "DB 검증 완료",
  },
  [PROPERTY.securityCheck]: {
    types: ["checkbox"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "보안 점검 완료",
  },
  [PROPERTY.slackLog]: {
    types: ["url"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "Slack 로그 링크",
  },
  [PROPERTY.report]: {
    types: ["url"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "리포트 링크",
  },
  [PROPERTY.improvement]: {
    types: ["rich_text"],
    // Stryker disable next-line StringLiteral: prose for people reading the schema; no code reads it
    description: "개선사항 (people fill it in later)",
  },
  [PROPERTY.jobId]: {
    types: ["rich_text"],
    optional: true,
    description: "Job ID; optional, makes duplicate detection one filtered query",
  },
};

/** What the writer learned from the real schema: where each value goes. */
export interface SchemaPlan {
  /** Name of the database's (only) title property. */
  readonly titleProperty: string;
  /** Set when `Summary` is a separate rich_text property (the seed's layout: title is "Name"). */
  readonly summaryTextProperty?: string;
  readonly statusType: "status" | "select";
  /** Set when the optional `Job_ID` rich_text property exists. */
  readonly jobIdProperty?: string;
}

export interface SchemaProblem {
  readonly property: string;
  readonly expected: readonly NotionPropertyType[];
  /** The type found, or undefined when the property is missing. */
  readonly actual?: string;
  /** Status options that must exist but do not. */
  readonly missingOptions?: readonly string[];
}

/** The minimal view of a data source's property the check needs (the SDK's type is assignable). */
export interface PropertyConfig {
  readonly type: string;
  readonly status?: { readonly options?: readonly { readonly name: string }[] };
}

export function describeProblem(problem: SchemaProblem): string {
  const expected = problem.expected.join(" or ");
  if (problem.actual === undefined)
    return `${problem.property}: missing — add a ${expected} property named "${problem.property}"`;
  if (problem.missingOptions && problem.missingOptions.length > 0) {
    return `${problem.property}: status option(s) ${problem.missingOptions.map((o) => `"${o}"`).join(", ")} missing — add them to the ${problem.property} property`;
  }
  return `${problem.property}: expected ${expected}, found ${problem.actual} — change the property's type to ${problem.expected[0]}`;
}

/** The database does not have the seed's schema; never retryable (someone has to edit it). */
export class NotionSchemaError extends DroxError {
  readonly problems: readonly SchemaProblem[];

  constructor(databaseName: string, problems: readonly SchemaProblem[]) {
    super(
      `Notion database ${databaseName} does not match the schema drox-backup writes ` +
        `(${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${describeProblem(p)}`).join("\n"),
      { retryable: false },
    );
    this.problems = problems;
  }
}

/**
 * Every problem of `properties` against EXPECTED_SCHEMA, in schema order (empty when fine).
 * Names are matched exactly, as Notion does when a page is created.
 */
export function checkSchema(properties: Readonly<Record<string, PropertyConfig>>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const [name, spec] of Object.entries(EXPECTED_SCHEMA)) {
    const actual = properties[name];
    if (!actual) {
      if (!spec.optional) problems.push({ property: name, expected: spec.types });
      continue;
    }
    if (!(spec.types as readonly string[]).includes(actual.type)) {
      // A mistyped optional property is still a mistake worth naming: the writer will not use it.
      problems.push({ property: name, expected: spec.types, actual: actual.type });
      continue;
    }
    if (actual.type === "status" && spec.options) {
      const present = new Set((actual.status?.options ?? []).map((o) => o.name));
      const missing = spec.options.filter((o) => !present.has(o.name)).map((o) => o.name);
      if (missing.length > 0)
        problems.push({ property: name, expected: spec.types, actual: actual.type, missingOptions: missing });
    }
  }
  const titles = Object.entries(properties).filter(([, p]) => p.type === "title");
  if (titles.length === 0) problems.push({ property: "(title)", expected: ["title"] });
  return problems;
}

/** The plan for writing pages, or a NotionSchemaError listing every problem at once. */
export function planSchema(
  properties: Readonly<Record<string, PropertyConfig>>,
  databaseName = "(unnamed)",
): SchemaPlan {
  const problems = checkSchema(properties);
  if (problems.length > 0) throw new NotionSchemaError(databaseName, problems);
  const titleProperty =
    Object.entries(properties).find(([, p]) => p.type === "title")?.[0] ?? PROPERTY.summary;
  const summary = properties[PROPERTY.summary];
  const status = properties[PROPERTY.status];
  const jobId = properties[PROPERTY.jobId];
  return {
    titleProperty,
    // Stryker disable next-line OptionalChaining: checkSchema has required Summary and Status above
    summaryTextProperty: summary?.type === "rich_text" ? PROPERTY.summary : undefined,
    // Stryker disable next-line OptionalChaining: checkSchema has required Summary and Status above
    statusType: status?.type === "select" ? "select" : "status",
    jobIdProperty: jobId?.type === "rich_text" ? PROPERTY.jobId : undefined,
  };
}
