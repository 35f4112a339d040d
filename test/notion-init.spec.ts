import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { buildProgram } from "../runtime/cli";
import type { CliIo } from "../runtime/commands/io";
import { registerNotionInitCommand } from "../runtime/commands/notion-init";
import { eventId } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { createNotionLoggerFromEnv } from "../runtime/notion";
import { checkNotion } from "../runtime/setup/doctor";
import { createSetupNotionClient } from "../runtime/setup/notion-client";
import { initNotionDatabase } from "../runtime/setup/notion-init";
import { type FakeNotionServer, startFakeNotion } from "./fakes/notion-server";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";
import { DEFAULT_VIEW_NAME, NotionViewsProxy } from "./support/notion-views";

const PARENT_HEX = "0123456789abcdef0123456789abcdef";
const PARENT_URL = `https://www.notion.so/drox/DevOps-${PARENT_HEX}`;

/**
 * The seed's schema (ARCHITECTURE.md, "Notion"), with the type `notion init` gives each property
 * and the optional Job_ID, after the title column "Name" as Notion's own new tables have it.
 */
const SEED_TYPES: Record<string, string> = {
  Name: "title",
  Date: "date",
  Summary: "rich_text",
  Status: "status",
  Category: "multi_select",
  Week: "select",
  System_Health: "select",
  Backup_Size: "number",
  DB_Verified: "checkbox",
  Security_Check: "checkbox",
  Slack_Log_Link: "url",
  Report_Link: "url",
  Improvement: "rich_text",
  Job_ID: "rich_text",
};

const silent = createLogger({
  level: "silent",
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe("drox-backup notion init", function () {
  this.timeout(30_000);
  let notion: FakeNotionServer;
  let proxy: NotionViewsProxy;

  beforeEach(async () => {
    notion = await startFakeNotion();
    proxy = await NotionViewsProxy.start(notion);
  });
  afterEach(async () => {
    await proxy.close();
    await notion.close();
  });

  const env = (base: string = proxy.url): NodeJS.ProcessEnv => ({
    NOTION_API_BASE_URL: base,
    NOTION_TOKEN: notion.token,
  });

  async function run(args: string[], base?: string): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      isTTY: false,
      env: env(base),
      exitCode: 0,
    };
    await buildProgram(io, [registerNotionInitCommand]).parseAsync([
      "node",
      "drox-backup",
      "notion",
      "init",
      ...args,
    ]);
    return { code: io.exitCode, lines };
  }

  it("must create 백업 로그 with every property, option and colour of the guide under the parent page", async () => {
    const result = await initNotionDatabase(await createSetupNotionClient(env()), { parent: PARENT_URL });
    const db = notion.databases.get(result.databaseId)!;
    assert.equal(db.title, "백업 로그");
    assert.equal(db.parentPageId, "01234567-89ab-cdef-0123-456789abcdef");
    assert.deepEqual(
      Object.fromEntries(Object.entries(db.schema).map(([name, p]) => [name, p.type])),
      SEED_TYPES,
    );
    assert.deepEqual(Object.keys(db.schema), Object.keys(SEED_TYPES));
    assert.deepEqual(db.schema.Status!.options, [
      { name: "✅ 완료", color: "green" },
      { name: "⚠️ 점검필요", color: "yellow" },
      { name: "❌ 실패", color: "red" },
    ]);
    assert.deepEqual(
      db.schema.Category!.options!.map((o) => o.name),
      ["AWS Snapshot", "RDS Dump", "S3 Sync", "Local HDD Backup", "보안 점검"],
    );
    assert.deepEqual(
      db.schema.Week!.options!.map((o) => o.name),
      ["1주차", "2주차", "3주차", "4주차", "5주차"],
    );
    assert.deepEqual(
      db.schema.System_Health!.options!.map((o) => [o.name, o.color]),
      [
        ["정상", "green"],
        ["주의", "yellow"],
        ["이상", "red"],
      ],
    );
    assert.equal(result.statusType, "status");
    assert.deepEqual(
      result.steps.filter((s) => s.status !== "ok"),
      [],
    );
  });

  it("must leave exactly the guide's four views: the default table view becomes the first, three are created", async () => {
    const result = await initNotionDatabase(await createSetupNotionClient(env()), { parent: PARENT_HEX });
    const views = Object.fromEntries(proxy.views.map((v) => [v.body.name as string, v.body]));
    assert.deepEqual(Object.keys(views), ["일일 백업 대시보드", "실패한 백업 추적", "주간 리포트", "캘린더"]);
    assert.ok(!(DEFAULT_VIEW_NAME in views));
    assert.deepEqual(proxy.updated, [proxy.views[0]!.id]);
    assert.equal(proxy.created.length, 3);
    assert.equal(
      result.steps.find((s) => s.name === 'view "일일 백업 대시보드"')?.detail,
      "table: Date is today, newest first, grouped by Category (the database's default view, updated)",
    );
    const daily = views["일일 백업 대시보드"]!;
    assert.deepEqual(daily.filter, { property: "Date", date: { equals: "today" } });
    assert.deepEqual(daily.sorts, [{ property: "Date", direction: "descending" }]);
    assert.deepEqual((daily.configuration as { group_by: unknown }).group_by, {
      type: "multi_select",
      property_id: "Category",
      sort: { type: "manual" },
      hide_empty_groups: true,
    });
    const failed = views["실패한 백업 추적"]!;
    assert.deepEqual(failed.filter, { property: "Status", status: { equals: "❌ 실패" } });
    const shown = (
      failed.configuration as { properties: { property_id: string; visible: boolean }[] }
    ).properties
      .filter((p) => p.visible)
      .map((p) => p.property_id);
    assert.deepEqual(shown, ["title", "Date", "Summary", "Category", "Improvem"]);
    const weekly = views["주간 리포트"]!;
    assert.deepEqual(weekly.filter, {
      property: "Category",
      multi_select: { contains: "보안 점검" },
    });
    assert.deepEqual(weekly.sorts, [{ property: "Week", direction: "descending" }]);
    const calendar = views["캘린더"]!;
    assert.equal(calendar.type, "calendar");
    assert.equal((calendar.configuration as { date_property_id: string }).date_property_id, "Date");
    for (const view of proxy.views) assert.equal(view.databaseId, result.databaseId);
  });

  it("must create a schema the real writer accepts and fills, and the doctor passes", async () => {
    const created = await initNotionDatabase(await createSetupNotionClient(env()), { parent: PARENT_HEX });
    const writerEnv = { ...env(notion.url), NOTION_DATABASE_ID: created.databaseId };
    const writer = await createNotionLoggerFromEnv(writerEnv, { requestsPerSecond: 0, logger: silent });
    for (const event of [SEED_SUCCESS, SEED_FAILURE, SEED_REPORT]) {
      assert.equal((await writer.log(event)).created, true, eventId(event));
    }
    assert.equal((await writer.log(SEED_SUCCESS)).created, false, "a redelivery stays one page");
    const pages = notion.pages(created.dataSourceId);
    assert.equal(pages.length, 3);
    assert.deepEqual(pages[1]!.properties.Status, { status: { name: "❌ 실패" } });
    assert.deepEqual(pages[0]!.properties.Job_ID, {
      rich_text: [{ type: "text", text: { content: SEED_SUCCESS.jobId } }],
    });
    const doctor = await checkNotion(writerEnv);
    assert.deepEqual(
      doctor.filter((c) => c.status !== "ok"),
      [],
    );
  });

  it("must fall back to a coloured Status select the writer fills when Notion drops the status options", async () => {
    await proxy.close();
    await notion.close();
    notion = await startFakeNotion({ statusOptionsOnCreate: "drop" });
    proxy = await NotionViewsProxy.start(notion);
    const result = await initNotionDatabase(await createSetupNotionClient(env()), { parent: PARENT_HEX });
    assert.equal(result.statusType, "select");
    const db = notion.databases.get(result.databaseId)!;
    assert.equal(db.schema.Status!.type, "select");
    assert.deepEqual(
      db.schema.Status!.options!.map((o) => [o.name, o.color]),
      [
        ["✅ 완료", "green"],
        ["⚠️ 점검필요", "yellow"],
        ["❌ 실패", "red"],
      ],
    );
    const status = result.steps.find((s) => s.name === 'property "Status"')!;
    assert.equal(status.status, "warn");
    assert.match(status.fix ?? "", /click the "Status" column header → Edit property → Type → Status/);
    const failed = proxy.views.find((v) => v.body.name === "실패한 백업 추적")!;
    assert.deepEqual(failed.body.filter, { property: "Status", select: { equals: "❌ 실패" } });
    const writer = await createNotionLoggerFromEnv(
      { ...env(notion.url), NOTION_DATABASE_ID: result.databaseId },
      { requestsPerSecond: 0, logger: silent },
    );
    await writer.log(SEED_FAILURE);
    assert.deepEqual(notion.pages(result.dataSourceId)[0]!.properties.Status, {
      select: { name: "❌ 실패" },
    });
  });

  it("must add the status options when Notion drops them but takes them in an update, keeping Status a status", async () => {
    await proxy.close();
    await notion.close();
    notion = await startFakeNotion({ statusOptionsOnCreate: "drop" });
    proxy = await NotionViewsProxy.start(notion, { statusOptionsUpdatable: true });
    const result = await initNotionDatabase(await createSetupNotionClient(env()), { parent: PARENT_HEX });
    assert.equal(result.statusType, "status");
    const db = notion.databases.get(result.databaseId)!;
    assert.equal(db.schema.Status!.type, "status");
    assert.deepEqual(
      db.schema.Status!.options!.filter((o) => !["Not started", "In progress", "Done"].includes(o.name)),
      [
        { name: "✅ 완료", color: "green" },
        { name: "⚠️ 점검필요", color: "yellow" },
        { name: "❌ 실패", color: "red" },
      ],
    );
    assert.deepEqual(
      result.steps.filter((s) => s.status !== "ok"),
      [],
    );
    const writer = await createNotionLoggerFromEnv(
      { ...env(notion.url), NOTION_DATABASE_ID: result.databaseId },
      { requestsPerSecond: 0, logger: silent },
    );
    await writer.log(SEED_FAILURE);
    assert.deepEqual(notion.pages(result.dataSourceId)[0]!.properties.Status, {
      status: { name: "❌ 실패" },
    });
  });

  it("must print the id, the pulumi line and exit 0 from the command", async () => {
    const { code, lines } = await run(["--parent", PARENT_URL]);
    assert.equal(code, 0);
    const [db] = [...notion.databases.values()];
    assert.ok(lines.includes(`  pulumi config set notionDatabaseId ${db!.databaseId}`), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith(`Database id: ${db!.databaseId}`)));
    assert.ok(
      lines.some((l) => l === `✓ view "캘린더": calendar by Date, Status shown on each card in its colour`),
    );
  });

  it("must print what to click for each view when the views API is not there, exit 3, and leave the writer working", async () => {
    // Straight to the fake, which has no /v1/views: Notion answers such a request 400 invalid_request_url.
    const { code, lines } = await run(["--parent", PARENT_HEX], notion.url);
    assert.equal(code, 3);
    const manual = lines.filter((l) => l.startsWith("! view "));
    assert.equal(manual.length, 4);
    assert.equal(
      manual[0],
      `! view "일일 백업 대시보드": not created (Notion's views API is not available here) → fix: open 백업 로그 → the table view it came with → ··· → Rename to "일일 백업 대시보드"; Filter → Date → Today; Sort → Date → Descending; ··· → Group → Category`,
    );
    assert.match(
      manual[1]!,
      /Filter → Status → ❌ 실패; Sort → Date → Descending; ··· → Properties → show only Date, Summary, Category, Improvement$/,
    );
    assert.match(manual[3]!, /Calendar → name "캘린더"; Show calendar by → Date/);
    const [db] = [...notion.databases.values()];
    const writer = await createNotionLoggerFromEnv(
      { ...env(notion.url), NOTION_DATABASE_ID: db!.databaseId },
      { requestsPerSecond: 0, logger: silent },
    );
    assert.equal((await writer.log(SEED_SUCCESS)).created, true);
  });

  it("must refuse a parent that is not a page id or URL, and explain a wrong token", async () => {
    await assert.rejects(
      initNotionDatabase(await createSetupNotionClient(env()), { parent: "DevOps" }),
      /--parent must be the id of a Notion page/,
    );
    const badToken = await createSetupNotionClient({ ...env(), NOTION_TOKEN: `ntn_${"1".repeat(40)}` });
    await assert.rejects(
      initNotionDatabase(badToken, { parent: PARENT_HEX }),
      /401 unauthorized — the token is wrong/,
    );
    assert.equal(notion.databases.size, 0);
  });
});
