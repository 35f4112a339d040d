/**
 * What to click in Notion to fix the "백업 로그" schema. The schema itself is EXPECTED_SCHEMA
 * (runtime/notion/schema.ts); this only translates API types into the names Notion's UI shows
 * and phrases each fix, for the doctor and `notion init`.
 */
import { EXPECTED_SCHEMA, type NotionPropertyType, type OptionSpec, type SchemaProblem } from "../notion";

/** Property types as the "Edit property → Type" menu names them. */
export const UI_TYPE: Record<NotionPropertyType, string> = {
  title: "Title",
  rich_text: "Text",
  date: "Date",
  status: "Status",
  select: "Select",
  multi_select: "Multi-select",
  number: "Number",
  checkbox: "Checkbox",
  url: "URL",
};

const COLOR_KO: Record<string, string> = {
  green: "녹색",
  yellow: "노란색",
  red: "빨간색",
};

/** `"✅ 완료" (green)`, with the seed's Korean colour name where it gives one. */
export function describeOption(option: OptionSpec): string {
  if (option.color === "default") return `"${option.name}"`;
  const ko = COLOR_KO[option.color];
  return `"${option.name}" (${option.color}${ko ? `, ${ko}` : ""})`;
}

export function uiType(type: string): string {
  return (UI_TYPE as Record<string, string | undefined>)[type] ?? type;
}

/** How a property is spelled differently from the expected name (case, spaces, underscores). */
export function nearName(expected: string, actual: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, "");
  return actual.find((name) => name !== expected && fold(name) === fold(expected));
}

function optionsClause(property: string): string {
  const options = EXPECTED_SCHEMA[property]?.options;
  return options && options.length > 0 ? `, with the options ${options.map(describeOption).join(", ")}` : "";
}

/** The click-by-click fix for one schema problem of `checkSchema`. */
export function fixFor(problem: SchemaProblem, existingNames: readonly string[] = []): string {
  const name = problem.property;
  const type = uiType(problem.expected[0] ?? "");
  if (name === "(title)") {
    return (
      "Notion gives every database one title column, and this one has none: check that NOTION_DATABASE_ID " +
      "is the 백업 로그 database, or create it with `drox-backup notion init --parent <page>`"
    );
  }
  if (problem.actual === undefined) {
    const near = nearName(name, existingNames);
    if (near) {
      return `rename the column "${near}" to "${name}" exactly (click its header → type the new name): property names are case and underscore sensitive`;
    }
    return `in the database click + after the last column → type ${type} → name it "${name}" exactly${optionsClause(name)}`;
  }
  if (problem.missingOptions && problem.missingOptions.length > 0) {
    const specs = EXPECTED_SCHEMA[name]?.options ?? [];
    const wanted = problem.missingOptions.map((o) =>
      describeOption(specs.find((s) => s.name === o) ?? { name: o, color: "default" }),
    );
    return `click the "${name}" column header → Edit property → + Add option: ${wanted.join(", ")} (the API cannot add status options)`;
  }
  const accepted = problem.expected.map(uiType).join(" or ");
  return `click the "${name}" column header → Edit property → Type → ${type} (accepted: ${accepted}; found ${uiType(problem.actual)})`;
}
