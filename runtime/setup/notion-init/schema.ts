/**
 * The `initial_data_source.properties` of a new "백업 로그" database, built from EXPECTED_SCHEMA:
 * each property with the first type the writer accepts, every option with its colour, plus the
 * title column ("Name", as Notion's own new tables have it; the writer copies the summary there).
 */
import type { CreateDatabaseParameters } from "@notionhq/client";
import { EXPECTED_SCHEMA, PROPERTY, type NotionPropertyType, type OptionSpec } from "../../notion";

export { DATABASE_TITLE } from "./title";
export const TITLE_PROPERTY = "Name";

type InitialProperties = NonNullable<
  NonNullable<CreateDatabaseParameters["initial_data_source"]>["properties"]
>;
type PropertyRequest = InitialProperties[string];

export type StatusAs = "status" | "select";

function propertyRequest(
  type: NotionPropertyType,
  options: readonly OptionSpec[] | undefined,
): PropertyRequest {
  const opts = (options ?? []).map((o) => ({ name: o.name, color: o.color }));
  switch (type) {
    case "title":
      return { title: {} };
    case "rich_text":
      return { rich_text: {} };
    case "date":
      return { date: {} };
    case "number":
      return { number: { format: "number" } };
    case "checkbox":
      return { checkbox: {} };
    case "url":
      return { url: {} };
    case "status":
      return { status: { options: opts } };
    case "select":
      return { select: { options: opts } };
    case "multi_select":
      return { multi_select: { options: opts } };
  }
}

/**
 * Every property of the seed's schema (and the optional Job_ID). `statusAs: "select"` is the
 * fallback when Notion will not create a status property with our options.
 */
export function databaseProperties(statusAs: StatusAs = "status"): InitialProperties {
  const properties: InitialProperties = { [TITLE_PROPERTY]: { title: {} } };
  for (const [name, spec] of Object.entries(EXPECTED_SCHEMA)) {
    const type = name === PROPERTY.status ? statusAs : (spec.types[0] ?? "rich_text");
    properties[name] = propertyRequest(type, spec.options);
  }
  return properties;
}
