/**
 * `drox-backup notion init`: creates the "백업 로그" database under a page the integration can
 * reach, with the seed's schema and the guide's four views, then proves the writer accepts it.
 *
 * Where Notion's API refuses something it is said exactly what to click, and the database is left
 * writable meanwhile:
 *  - Status options: Notion documents that the API cannot change a status property's options
 *    (developers.notion.com/reference/update-data-source-properties), though the SDK's types
 *    allow it. If the create request is refused, or Notion creates the status property without
 *    our options, adding them is tried first; if that is refused too, Status becomes a Select
 *    with the same coloured options — the writer fills either.
 *  - Views: the typed `views.*` of @notionhq/client (API 2025-09-03). A new database comes with
 *    one table view; it becomes the first of the guide's four (updated, not left beside them),
 *    the other three are created. A view the API refuses gets its manual steps.
 */
import {
  APIErrorCode,
  APIResponseError,
  type Client,
  type DataSourceObjectResponse,
  isFullDataSource,
} from "@notionhq/client";
import { ConfigError, DroxError } from "../../contract/errors";
import {
  PROPERTY,
  STATUS_OPTIONS,
  checkSchema,
  parseNotionId,
  planSchema,
  toDashedId,
  toNotionError,
} from "../../notion";
import { type Check, errorText, fail, ok, warn } from "../doctor/check";
import { fixFor } from "../schema-advice";
import { DATABASE_TITLE, databaseProperties, type StatusAs } from "./schema";
import { type ViewContext, createViewRequest, recommendedViews, updateViewRequest } from "./views";

export { DATABASE_TITLE, TITLE_PROPERTY, databaseProperties } from "./schema";
export { recommendedViews, VIEW_NAMES, type ViewSpec } from "./views";

export interface InitOptions {
  /** The parent page: its id (32 hex, dashed or not) or URL. */
  readonly parent: string;
  readonly title?: string;
  /** Create the recommended views. @default true */
  readonly views?: boolean;
}

export interface InitResult {
  /** 32 hex, no dashes: what NOTION_DATABASE_ID and `notionDatabaseId` take. */
  readonly databaseId: string;
  readonly dataSourceId: string;
  readonly url?: string;
  readonly statusType: StatusAs;
  /** What was done, in order; warn lines carry what is left to click. */
  readonly steps: readonly Check[];
}

interface Created {
  readonly databaseId: string;
  readonly dataSourceId?: string;
  readonly url?: string;
}

function apiCode(error: unknown): string | undefined {
  return APIResponseError.isAPIResponseError(error) ? error.code : undefined;
}

export function parentPageId(parent: string): string {
  const id = parseNotionId(parent);
  if (!id) {
    throw new ConfigError(
      "--parent must be the id of a Notion page (32 hex characters) or its URL, e.g. " +
        "https://www.notion.so/workspace/DevOps-<32 hex>; use Share → Copy link on the page",
    );
  }
  return toDashedId(id);
}

async function createDatabase(
  client: Client,
  parentId: string,
  title: string,
  statusAs: StatusAs,
): Promise<Created> {
  const database = await client.databases.create({
    parent: { type: "page_id", page_id: parentId },
    title: [{ type: "text", text: { content: title } }],
    initial_data_source: { properties: databaseProperties(statusAs) },
  });
  const full = "data_sources" in database ? database : undefined;
  return {
    databaseId: database.id.replace(/-/g, ""),
    dataSourceId: full?.data_sources[0]?.id,
    url: full && "url" in full ? full.url : undefined,
  };
}

function parentError(error: unknown, parentId: string): DroxError {
  if (apiCode(error) === APIErrorCode.ObjectNotFound) {
    return new DroxError(
      `Notion: the parent page ${parentId} was not found — the id is wrong, or the integration is not connected ` +
        `to the page: open the page → ··· → Connections → Connect to → DROX DevOps Backup → Confirm, then run again.`,
      { retryable: false, statusCode: 404, cause: error },
    );
  }
  return toNotionError(error, { action: "creating the database" });
}

async function readProperties(
  client: Client,
  created: Created,
): Promise<{ dataSourceId: string; properties: DataSourceObjectResponse["properties"] }> {
  try {
    return await readPropertiesOnce(client, created);
  } catch (error) {
    throw toNotionError(error, { action: "reading the new database", databaseId: created.databaseId });
  }
}

async function readPropertiesOnce(
  client: Client,
  created: Created,
): Promise<{ dataSourceId: string; properties: DataSourceObjectResponse["properties"] }> {
  let dataSourceId = created.dataSourceId;
  if (!dataSourceId) {
    const db = await client.databases.retrieve({ database_id: toDashedId(created.databaseId) });
    dataSourceId = "data_sources" in db ? db.data_sources[0]?.id : undefined;
  }
  if (!dataSourceId) throw new DroxError("Notion: the new database has no data source", { retryable: false });
  const ds = await client.dataSources.retrieve({ data_source_id: dataSourceId });
  if (!isFullDataSource(ds))
    throw new DroxError("Notion: the new schema came back partial", { retryable: false });
  return { dataSourceId, properties: ds.properties };
}

const STATUS_OPTION_REQUESTS = Object.values(STATUS_OPTIONS).map((o) => ({ name: o.name, color: o.color }));

/** Adds our options to the status property Notion made without them (documented as refused). */
async function addStatusOptions(client: Client, dataSourceId: string): Promise<void> {
  await client.dataSources.update({
    data_source_id: dataSourceId,
    properties: { [PROPERTY.status]: { status: { options: STATUS_OPTION_REQUESTS } } },
  });
}

function missingStatusOptions(properties: DataSourceObjectResponse["properties"]) {
  return checkSchema(properties).find((p) => p.property === PROPERTY.status && p.missingOptions);
}

/** Replaces a status property that lacks our options with a Select that has them (the table is empty). */
async function statusToSelect(client: Client, dataSourceId: string): Promise<void> {
  await client.dataSources.update({ data_source_id: dataSourceId, properties: { [PROPERTY.status]: null } });
  await client.dataSources.update({
    data_source_id: dataSourceId,
    properties: {
      [PROPERTY.status]: { select: { options: STATUS_OPTION_REQUESTS } },
    },
  });
}

const STATUS_SELECT_NOTE =
  'optional, for the guide\'s Status type: click the "Status" column header → Edit property → Type → Status, ' +
  "then check that ✅ 완료 (green), ⚠️ 점검필요 (yellow), ❌ 실패 (red) are among its options; until then nothing is needed";

/** No views endpoint (an older API or a proxy): every view call would fail the same way. */
function viewsUnavailable(error: unknown): boolean {
  return apiCode(error) === APIErrorCode.InvalidRequestURL;
}

/** The id of the table view a new database comes with: its only view, when that is a table. */
async function defaultTableView(client: Client, databaseId: string): Promise<string | undefined> {
  const list = await client.views.list({ database_id: databaseId });
  const only = list.results.length === 1 ? list.results[0] : undefined;
  if (!only) return undefined;
  const view = await client.views.retrieve({ view_id: only.id });
  return "type" in view && view.type === "table" ? view.id : undefined;
}

async function createViews(client: Client, ctx: ViewContext): Promise<Check[]> {
  const steps: Check[] = [];
  let unavailable: string | undefined;
  let defaultView: string | undefined;
  try {
    defaultView = await defaultTableView(client, ctx.databaseId);
  } catch (error) {
    if (viewsUnavailable(error)) unavailable = "Notion's views API is not available here";
    // Otherwise the four are created and the default view stays beside them.
  }
  for (const view of recommendedViews(ctx)) {
    const name = `view "${view.name}"`;
    if (unavailable) {
      steps.push(warn(name, `not created (${unavailable})`, view.manual));
      continue;
    }
    try {
      // The first of the four is a table, like the default: made from it, not added beside it.
      const fromDefault = defaultView !== undefined && view.type === "table" ? defaultView : undefined;
      if (fromDefault) {
        defaultView = undefined;
        await client.views.update(updateViewRequest(view, fromDefault));
        steps.push(ok(name, `${view.summary} (the database's default view, updated)`));
      } else {
        await client.views.create(createViewRequest(view, ctx));
        steps.push(ok(name, view.summary));
      }
    } catch (error) {
      if (viewsUnavailable(error)) unavailable = "Notion's views API is not available here";
      steps.push(warn(name, `not created (${unavailable ?? errorText(error)})`, view.manual));
    }
  }
  return steps;
}

export async function initNotionDatabase(client: Client, options: InitOptions): Promise<InitResult> {
  const parentId = parentPageId(options.parent);
  const title = options.title?.trim() || DATABASE_TITLE;
  const steps: Check[] = [];
  let statusType: StatusAs = "status";
  let created: Created;
  try {
    created = await createDatabase(client, parentId, title, "status");
  } catch (error) {
    if (apiCode(error) !== APIErrorCode.ValidationError) throw parentError(error, parentId);
    // Notion refused the request; the status options are the one part it has refused before.
    try {
      created = await createDatabase(client, parentId, title, "select");
    } catch (retryError) {
      throw parentError(retryError, parentId);
    }
    statusType = "select";
    steps.push(
      warn(
        'property "Status"',
        `created as a Select with the three coloured options: Notion refused the status property (${errorText(error)})`,
        STATUS_SELECT_NOTE,
      ),
    );
  }
  steps.unshift(
    ok(`database "${title}"`, `created under page ${parentId}: ${toDashedId(created.databaseId)}`),
  );

  let { dataSourceId, properties } = await readProperties(client, created);
  const statusProblem = missingStatusOptions(properties);
  let optionsAdded = false;
  if (statusProblem) {
    try {
      await addStatusOptions(client, dataSourceId);
      ({ dataSourceId, properties } = await readProperties(client, created));
      optionsAdded = missingStatusOptions(properties) === undefined;
    } catch {
      // Refused, as Notion documents: the Select below is the way left.
    }
  }
  if (statusProblem && optionsAdded) {
    steps.push(
      ok(
        'property "Status"',
        "Notion created the status property without our options; added ✅ 완료, ⚠️ 점검필요, ❌ 실패 to it",
      ),
    );
  } else if (statusProblem) {
    try {
      await statusToSelect(client, dataSourceId);
      statusType = "select";
      steps.push(
        warn(
          'property "Status"',
          "Notion created the status property without our options (the API cannot add them), so it is now a Select with ✅ 완료 (green), ⚠️ 점검필요 (yellow), ❌ 실패 (red)",
          STATUS_SELECT_NOTE,
        ),
      );
    } catch (error) {
      steps.push(
        fail(
          'property "Status"',
          `the status options are missing and could not be fixed through the API (${errorText(error)}); the writer fails until they exist`,
          fixFor(statusProblem),
        ),
      );
    }
    ({ dataSourceId, properties } = await readProperties(client, created));
  }

  try {
    const plan = planSchema(properties, `"${title}"`);
    steps.push(
      ok(
        "schema",
        `${Object.keys(properties).length} properties; the writer accepts it (title "${plan.titleProperty}", Status as ${plan.statusType})`,
      ),
    );
  } catch (error) {
    steps.push(
      fail("schema", errorText(error), "fix the properties named above, then run `drox-backup doctor`"),
    );
  }

  if (options.views !== false) {
    steps.push(
      ...(await createViews(client, {
        databaseId: toDashedId(created.databaseId),
        dataSourceId,
        properties,
      })),
    );
  }
  return { databaseId: created.databaseId, dataSourceId, url: created.url, statusType, steps };
}
