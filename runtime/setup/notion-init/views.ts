/**
 * The four views the seed guide recommends ("Notion 뷰 추천 설정"), as requests for Notion's views
 * API (@notionhq/client `views.create` / `views.update`, API version 2025-09-03), each with the
 * clicks that make the same view by hand when the API refuses it. Filters and sorts use property
 * names; layout configuration needs property ids, read from the data source. The first is a
 * table, so it can be made from the table view every new database comes with (a view's type
 * cannot be changed by an update).
 */
import type { CreateViewParameters, UpdateViewParameters } from "@notionhq/client";
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

/** A view's filter: one property condition, as in a data source query. */
export interface ViewFilter {
  readonly property: string;
  readonly [type: string]: unknown;
}

export type ViewSort = NonNullable<UpdateViewParameters["sorts"]>[number];
export type ViewConfiguration = NonNullable<CreateViewParameters["configuration"]>;

export interface ViewSpec {
  readonly name: string;
  readonly type: "table" | "calendar";
  /** One line: what the view shows. */
  readonly summary: string;
  readonly filter?: ViewFilter;
  readonly sorts?: readonly ViewSort[];
  readonly configuration: ViewConfiguration;
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
function columns(ctx: ViewContext, shown: readonly string[]): { property_id: string; visible: boolean }[] {
  const title = Object.entries(ctx.properties).find(([, p]) => p.type === "title")?.[0];
  const order = [...(title && !shown.includes(title) ? [title] : []), ...shown];
  const hidden = Object.keys(ctx.properties).filter((name) => !order.includes(name));
  return [
    ...order.map((name) => ({ property_id: idOf(ctx, name), visible: true })),
    ...hidden.map((name) => ({ property_id: idOf(ctx, name), visible: false })),
  ];
}

const ADD_VIEW = "open 백업 로그 → click + next to the view tabs →";
const EDIT_DEFAULT = "open 백업 로그 → the table view it came with → ··· → Rename to";

export function recommendedViews(ctx: ViewContext): ViewSpec[] {
  const newestFirst: ViewSort[] = [{ property: PROPERTY.date, direction: "descending" }];
  const statusType = ctx.properties[PROPERTY.status]?.type === "select" ? "select" : "status";
  const failed = STATUS_OPTIONS.FAILED.name;
  const security = CATEGORY_OPTIONS.SECURITY.name;
  return [
    {
      name: VIEW_NAMES.daily,
      type: "table",
      summary: "table: Date is today, newest first, grouped by Category",
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
      manual: `${EDIT_DEFAULT} "${VIEW_NAMES.daily}"; Filter → Date → Today; Sort → Date → Descending; ··· → Group → Category`,
    },
    {
      name: VIEW_NAMES.failed,
      type: "table",
      summary: `table: Status is ${failed}, newest first, showing Date, Summary, Category, Improvement`,
      filter: { property: PROPERTY.status, [statusType]: { equals: failed } },
      sorts: newestFirst,
      configuration: {
        type: "table",
        properties: columns(ctx, [PROPERTY.date, PROPERTY.summary, PROPERTY.category, PROPERTY.improvement]),
      },
      manual: `${ADD_VIEW} Table → name "${VIEW_NAMES.failed}"; Filter → Status → ${failed}; Sort → Date → Descending; ··· → Properties → show only Date, Summary, Category, Improvement`,
    },
    {
      name: VIEW_NAMES.weekly,
      type: "table",
      summary: `table: Category contains ${security}, by Week (descending), showing Week, Summary, Status`,
      filter: { property: PROPERTY.category, multi_select: { contains: security } },
      sorts: [{ property: PROPERTY.week, direction: "descending" }],
      configuration: {
        type: "table",
        properties: columns(ctx, [PROPERTY.week, PROPERTY.summary, PROPERTY.status]),
      },
      manual: `${ADD_VIEW} Table → name "${VIEW_NAMES.weekly}"; Filter → Category → contains ${security}; Sort → Week → Descending; ··· → Properties → show only Week, Summary, Status`,
    },
    {
      name: VIEW_NAMES.calendar,
      type: "calendar",
      summary: "calendar by Date, Status shown on each card in its colour",
      configuration: {
        type: "calendar",
        date_property_id: idOf(ctx, PROPERTY.date),
        properties: [
          { property_id: idOf(ctx, PROPERTY.status), visible: true },
          { property_id: idOf(ctx, PROPERTY.category), visible: true },
        ],
      },
      manual: `${ADD_VIEW} Calendar → name "${VIEW_NAMES.calendar}"; Show calendar by → Date; ··· → Properties → show Status (its colours tell the outcome) and Category`,
    },
  ];
}

/**
 * The SDK's generated request types declare a view's filter and create-time sorts as
 * `Record<string, never>` (its generator's rendering of "the data source query's filter"), which
 * no filter satisfies; the API takes the query filter shape (developers.notion.com, Create a
 * view). This is the one place that bridges the two.
 */
function sdk<T>(value: unknown): T {
  return value as T;
}

/** `views.create` parameters for `view` in the database. */
export function createViewRequest(view: ViewSpec, ctx: ViewContext): CreateViewParameters {
  return {
    database_id: ctx.databaseId,
    data_source_id: ctx.dataSourceId,
    name: view.name,
    type: view.type,
    ...(view.filter ? { filter: sdk<CreateViewParameters["filter"]>(view.filter) } : {}),
    ...(view.sorts ? { sorts: sdk<CreateViewParameters["sorts"]>(view.sorts) } : {}),
    configuration: view.configuration,
  };
}

/** `views.update` parameters that turn the view `viewId` (of the same type) into `view`. */
export function updateViewRequest(view: ViewSpec, viewId: string): UpdateViewParameters {
  return {
    view_id: viewId,
    name: view.name,
    filter: view.filter ? sdk<UpdateViewParameters["filter"]>(view.filter) : null,
    sorts: view.sorts ? [...view.sorts] : null,
    configuration: view.configuration,
  };
}
