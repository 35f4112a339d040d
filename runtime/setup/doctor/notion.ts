/**
 * Notion checks (the seed's "Notion 연동이 작동하지 않음" list, in its order): the token
 * (`GET /v1/users/me`), the database id, that the integration is connected to the database, and
 * the schema against EXPECTED_SCHEMA — every property's presence and type, the Status options
 * (which the API cannot add), the select options (Notion adds missing ones on first use, so those
 * are only advice). Stops at the first connection problem: later checks would only repeat it.
 */
import {
  APIErrorCode,
  APIResponseError,
  type Client,
  isFullDataSource,
  isFullDatabase,
} from "@notionhq/client";
import { ConfigError } from "../../contract/errors";
import { EXPECTED_SCHEMA, PROPERTY, checkSchema, parseNotionId, toDashedId } from "../../notion";
import { CONNECT_ADVICE } from "../../notion/errors";
import { rawSetting } from "../../settings/read";
import { readOptionalSecret, SECRETS } from "../../settings/secrets";
import { notionClientWithToken } from "../notion-client";
import { describeOption, fixFor, uiType } from "../schema-advice";
import { type Check, errorText, fail, ok, warn } from "./check";

const TOKEN_FIX =
  'copy the Internal Integration Secret of "DROX DevOps Backup" (https://www.notion.so/my-integrations → DROX DevOps Backup → ' +
  "Configuration) into NOTION_TOKEN (deployed: pulumi config set --secret notionToken <token>)";

function apiCode(error: unknown): string | undefined {
  return APIResponseError.isAPIResponseError(error) ? error.code : undefined;
}

async function checkToken(client: Client): Promise<Check> {
  const name = "Notion token (GET /v1/users/me)";
  try {
    const me = await client.users.me({});
    const bot = me.type === "bot" ? me.bot : undefined;
    const workspace =
      bot && "workspace_name" in bot && bot.workspace_name ? `, workspace ${bot.workspace_name}` : "";
    return ok(name, `valid: integration "${me.name ?? me.id}"${workspace}`);
  } catch (error) {
    if (apiCode(error) === APIErrorCode.Unauthorized) {
      return fail(name, "401 unauthorized: the token is wrong or was revoked", TOKEN_FIX);
    }
    return fail(
      name,
      `Notion did not answer: ${errorText(error)}`,
      "check the network (and NOTION_API_BASE_URL if set), then run again",
    );
  }
}

interface OptionList {
  readonly options?: readonly { readonly name: string }[];
}

/** The part of a data source property the checks read (the SDK's type is assignable). */
export interface PropertyConfigSummary {
  readonly type: string;
  readonly status?: OptionList;
  readonly select?: OptionList;
  readonly multi_select?: OptionList;
}

type Properties = Record<string, PropertyConfigSummary>;

/** Reads the database and its first data source; a Check when that is impossible. */
async function readSchema(
  client: Client,
  databaseId: string,
): Promise<{ title: string; properties: Properties } | Check> {
  const dashed = toDashedId(databaseId);
  const name = `Notion database ${dashed}`;
  try {
    const database = await client.databases.retrieve({ database_id: dashed });
    if (!isFullDatabase(database)) {
      return fail(
        name,
        "Notion returned a partial object",
        "check that the id is the database's, not a page's",
      );
    }
    const title = database.title.map((t) => t.plain_text).join("") || dashed;
    const source = database.data_sources[0];
    if (!source)
      return fail(name, `"${title}" has no data source (table)`, "add a table view to the database");
    const dataSource = await client.dataSources.retrieve({ data_source_id: source.id });
    if (!isFullDataSource(dataSource)) return fail(name, "the schema came back partial", "run again");
    return { title, properties: dataSource.properties as Properties };
  } catch (error) {
    const code = apiCode(error);
    if (code === APIErrorCode.ObjectNotFound) {
      return fail(
        name,
        "404 object_not_found: the id is wrong, or the integration is not connected to this database",
        `${CONNECT_ADVICE} → Confirm. If it is connected, copy the id again: ··· → Copy link to view → the 32 characters before ?v=`,
      );
    }
    if (code === APIErrorCode.RestrictedResource) {
      return fail(
        name,
        "403 restricted_resource: the integration lacks a capability",
        'in https://www.notion.so/my-integrations → "DROX DevOps Backup" → Capabilities enable Read content, Update content and Insert content',
      );
    }
    if (code === APIErrorCode.ValidationError || code === APIErrorCode.InvalidRequestURL) {
      return fail(
        name,
        `${code}: ${errorText(error)}`,
        "NOTION_DATABASE_ID must be the database's id (··· → Copy link to view), not a page's or a view's",
      );
    }
    return fail(
      name,
      `could not read the database: ${errorText(error)}`,
      "run again; if it persists, check Notion's status",
    );
  }
}

/** One line per expected property: present with an accepted type, options complete. */
export function schemaChecks(properties: Properties): Check[] {
  const problems = checkSchema(properties);
  const names = Object.keys(properties);
  const checks: Check[] = [];
  for (const [property, spec] of Object.entries(EXPECTED_SCHEMA)) {
    const label = `Notion property "${property}"`;
    const actual = properties[property];
    const problem = problems.find((p) => p.property === property);
    if (problem) {
      const detail =
        problem.actual === undefined
          ? `missing (expected ${problem.expected.map(uiType).join(" or ")})`
          : problem.missingOptions && problem.missingOptions.length > 0
            ? `status option(s) ${problem.missingOptions.map((o) => `"${o}"`).join(", ")} missing`
            : `is ${uiType(problem.actual)}, expected ${problem.expected.map(uiType).join(" or ")}`;
      checks.push(fail(label, detail, fixFor(problem, names)));
      continue;
    }
    if (!actual) {
      // Only optional properties get here (checkSchema reports required ones).
      checks.push(
        warn(
          label,
          `not present (optional): ${spec.description}`,
          `click + after the last column → type Text → name it "${property}"; new pages then carry their job id there`,
        ),
      );
      continue;
    }
    const typeNote = `${uiType(actual.type)}${actual.type === "select" && property === PROPERTY.status ? " (the writer adapts; the guide uses Status)" : ""}`;
    const selectOptions = actual.type === "select" || actual.type === "multi_select";
    const list = actual.type === "select" ? actual.select : actual.multi_select;
    const present = new Set((list?.options ?? []).map((o) => o.name));
    const missing = selectOptions ? (spec.options ?? []).filter((o) => !present.has(o.name)) : [];
    if (missing.length > 0) {
      checks.push(
        warn(
          label,
          `${typeNote}; option(s) ${missing.map((o) => `"${o.name}"`).join(", ")} not there yet (Notion adds them, uncoloured, on first use)`,
          `click the "${property}" column header → Edit property → + Add option: ${missing.map(describeOption).join(", ")}`,
        ),
      );
      continue;
    }
    checks.push(ok(label, typeNote));
  }
  const title = problems.find((p) => p.property === "(title)");
  if (title) checks.push(fail("Notion title property", "none", fixFor(title, names)));
  return checks;
}

/** Every Notion check, in the seed's troubleshooting order. */
export async function checkNotion(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [];
  let token: string | undefined;
  try {
    token = await readOptionalSecret(SECRETS.notionToken, env);
  } catch (error) {
    checks.push(
      fail(
        "Notion token",
        errorText(error),
        "check that NOTION_TOKEN_SECRET_ARN is the ARN of a Secrets Manager secret holding the token, readable with these credentials",
      ),
    );
    return checks;
  }
  if (token === undefined) {
    checks.push(fail("Notion token", "neither NOTION_TOKEN nor NOTION_TOKEN_SECRET_ARN is set", TOKEN_FIX));
    return checks;
  }
  let client: Client;
  try {
    client = notionClientWithToken(token, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push(fail("NOTION_API_BASE_URL", errorText(error), "unset it to use api.notion.com"));
    return checks;
  }
  const tokenCheck = await checkToken(client);
  checks.push(tokenCheck);
  if (tokenCheck.status === "fail") return checks;

  const raw = rawSetting(env, "notionDatabaseId");
  const idName = "Notion database id (NOTION_DATABASE_ID)";
  const idFix =
    'open "백업 로그" in Notion → ··· → Copy link to view, and set NOTION_DATABASE_ID to that URL or the 32 characters before ?v= ' +
    "(deployed: pulumi config set notionDatabaseId <id>); no database yet? drox-backup notion init --parent <page URL>";
  if (!raw) {
    checks.push(fail(idName, "not set", idFix));
    return checks;
  }
  const databaseId = parseNotionId(raw);
  if (!databaseId) {
    checks.push(
      fail(
        idName,
        "not a Notion id: expected 32 hex characters, with or without dashes, or the database URL",
        idFix,
      ),
    );
    return checks;
  }
  checks.push(ok(idName, `parses as ${toDashedId(databaseId)}`));

  const schema = await readSchema(client, databaseId);
  if ("status" in schema) {
    checks.push(schema);
    return checks;
  }
  checks.push(
    ok(`Notion database "${schema.title}"`, "the integration is connected and can read it"),
    ...schemaChecks(schema.properties),
  );
  return checks;
}
