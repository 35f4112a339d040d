/**
 * The four views the seed guide recommends ("Notion 뷰 추천 설정"), as requests for Notion's views
 * API (POST /v1/views, API version 2025-09-03), each with the clicks that make the same view by
 * hand when the API refuses it. Filters and sorts use property names; layout configuration needs
 * property ids, read from the data source.
 */
import { PROPERTY, STATUS_OPTIONS, CATEGORY_OPTIONS } from "../../notion";

export interface SchemaProperty {
  readonly id: string;
  readonly type: string;
}

export interface ViewContext {
  readonly databaseId: string;
  readonly dataSourceId: string;
  /** The data source's properties by name. */
  readonly properties: Readonly<Record<string, SchemaProperty>>;
}

export interface ViewSpec {
  readonly name: string;
  /** One line: what the view shows. */
  readonly summary: string;
  /** The POST /v1/views body. */
  readonly body: Record<string, unknown>;
  /** The same view made by hand, click by click. */
  readonly manual: string;
}

export const VIEW_NAMES = {
  daily: "일일 백업 대시보드",
  failed: "실패한 백업 추적",
  weekly: "주간 리포트",
  calendar: "캘린더",
} as const;

function idOf(ctx: ViewContext, name: string): string {
  const property = ctx.properties[name];
  if (!property) throw new Error(`the data source has no property "${name}"`);
  return property.id;
}

/** A table's column list: `shown` visible in that order (the title first), the rest hidden. */
function columns(ctx: ViewContext, shown: readonly string[]): Record<string, unknown>[] {
  const title = Object.entries(ctx.properties).find(([, p]) => p.type === "title")?.[0];
  const order = [...(title && !shown.includes(title) ? [title] : []), ...shown];
  const hidden = Object.keys(ctx.properties).filter((name) => !order.includes(name));
  return [
    ...order.map((name) => ({ property_id: idOf(ctx, name), visible: true })),
    ...hidden.map((name) => ({ property_id: idOf(ctx, name), visible: false })),
  ];
}

const ADD_VIEW = "open 백업 로그 → click + next to the view tabs →";

export function recommendedViews(ctx: ViewContext): ViewSpec[] {
  const base = { database_id: ctx.databaseId, data_source_id: ctx.dataSourceId };
  const newestFirst = [{ property: PROPERTY.date, direction: "descending" }];
  const statusType = ctx.properties[PROPERTY.status]?.type === "select" ? "select" : "status";
  const failed = STATUS_OPTIONS.FAILED.name;
  const security = CATEGORY_OPTIONS.SECURITY.name;
  return [
    {
      name: VIEW_NAMES.daily,
      summary: "table: Date is today, newest first, grouped by Category",
      body: {
        ...base,
        name: VIEW_NAMES.daily,
        type: "table",
        filter: { property: PROPERTY.date, date: { equals: "today" } },
        sorts: newestFirst,
        configuration: {
          type: "table",
          group_by: {
            type: "multi_select",
            property_id: idOf(ctx, PROPERTY.category),
            sort: { type: "manual" },
            hide_empty_groups: true,
          },
        },
      },
      manual: `${ADD_VIEW} Table → name "${VIEW_NAMES.daily}"; Filter → Date → Today; Sort → Date → Descending; ··· → Group → Category`,
    },
    {
      name: VIEW_NAMES.failed,
      summary: `table: Status is ${failed}, newest first, showing Date, Summary, Category, Improvement`,
      body: {
        ...base,
        name: VIEW_NAMES.failed,
        type: "table",
        filter: { property: PROPERTY.status, [statusType]: { equals: failed } },
        sorts: newestFirst,
        configuration: {
          type: "table",
          properties: columns(ctx, [
            PROPERTY.date,
            PROPERTY.summary,
            PROPERTY.category,
            PROPERTY.improvement,
          ]),
        },
      },
      manual: `${ADD_VIEW} Table → name "${VIEW_NAMES.failed}"; Filter → Status → ${failed}; Sort → Date → Descending; ··· → Properties → show only Date, Summary, Category, Improvement`,
    },
    {
      name: VIEW_NAMES.weekly,
      summary: `table: Category contains ${security}, by Week (descending), showing Week, Summary, Status`,
      body: {
        ...base,
        name: VIEW_NAMES.weekly,
        type: "table",
        filter: { property: PROPERTY.category, multi_select: { contains: security } },
        sorts: [{ property: PROPERTY.week, direction: "descending" }],
        configuration: {
          type: "table",
          properties: columns(ctx, [PROPERTY.week, PROPERTY.summary, PROPERTY.status]),
        },
      },
      manual: `${ADD_VIEW} Table → name "${VIEW_NAMES.weekly}"; Filter → Category → contains ${security}; Sort → Week → Descending; ··· → Properties → show only Week, Summary, Status`,
    },
    {
      name: VIEW_NAMES.calendar,
      summary: "calendar by Date, Status shown on each card in its colour",
      body: {
        ...base,
        name: VIEW_NAMES.calendar,
        type: "calendar",
        configuration: {
          type: "calendar",
          date_property_id: idOf(ctx, PROPERTY.date),
          properties: [
            { property_id: idOf(ctx, PROPERTY.status), visible: true },
            { property_id: idOf(ctx, PROPERTY.category), visible: true },
          ],
        },
      },
      manual: `${ADD_VIEW} Calendar → name "${VIEW_NAMES.calendar}"; Show calendar by → Date; ··· → Properties → show Status (its colours tell the outcome) and Category`,
    },
  ];
}
