import assert from "node:assert/strict";
import { EXPECTED_SCHEMA } from "../runtime/notion";
import { registerDoctorCommand } from "../runtime/commands/doctor";
import { buildProgram } from "../runtime/cli";
import type { CliIo } from "../runtime/commands/io";
import { type Check, checkNotion, formatCheck } from "../runtime/setup/doctor";
import {
  type FakeNotionServer,
  type FakeSchema,
  seedProperties,
  startFakeNotion,
} from "./fakes/notion-server";

const WEEKS = ["1주차", "2주차", "3주차", "4주차", "5주차"].map((name) => ({ name }));

/** The seed's schema as the guide would have it once everything is right (5 weeks, Job_ID). */
function complete(override: FakeSchema = {}, omit: string[] = []): FakeSchema {
  const schema = seedProperties({
    withJobId: true,
    override: { Week: { type: "select", options: WEEKS }, ...override },
  });
  return Object.fromEntries(Object.entries(schema).filter(([name]) => !omit.includes(name)));
}

function line(checks: readonly Check[], name: string): Check {
  const found = checks.find((c) => c.name === name);
  assert.ok(found, `no check named ${name}; got ${checks.map((c) => c.name).join(" | ")}`);
  return found;
}

describe("drox-backup doctor: Notion", function () {
  let notion: FakeNotionServer;

  before(async () => {
    notion = await startFakeNotion();
  });
  after(async () => {
    await notion.close();
  });

  function env(databaseId: string, token = notion.token): NodeJS.ProcessEnv {
    return { NOTION_API_BASE_URL: notion.url, NOTION_TOKEN: token, NOTION_DATABASE_ID: databaseId };
  }

  it("must pass every check, one line per property, for the guide's schema", async () => {
    const db = notion.addDatabase({ schema: complete() });
    const checks = await checkNotion(env(db.databaseId));
    assert.deepEqual(checks.filter((c) => c.status !== "ok").map(formatCheck), []);
    assert.match(line(checks, "Notion token (GET /v1/users/me)").detail, /DROX DevOps Backup/);
    for (const property of Object.keys(EXPECTED_SCHEMA)) line(checks, `Notion property "${property}"`);
    assert.equal(line(checks, 'Notion property "Status"').detail, "Status");
  });

  it("must accept the database URL as copied from Notion for NOTION_DATABASE_ID", async () => {
    const db = notion.addDatabase({ schema: complete() });
    const checks = await checkNotion(
      env(`https://www.notion.so/drox/Backup-Log-${db.databaseId}?v=${"f".repeat(32)}`),
    );
    assert.equal(checks.filter((c) => c.status === "fail").length, 0);
  });

  it("must name a missing property, its type and where to click to add it", async () => {
    const db = notion.addDatabase({ schema: complete({}, ["Backup_Size"]) });
    const check = line(await checkNotion(env(db.databaseId)), 'Notion property "Backup_Size"');
    assert.equal(check.status, "fail");
    assert.equal(check.detail, "missing (expected Number)");
    assert.equal(
      check.fix,
      'in the database click + after the last column → type Number → name it "Backup_Size" exactly',
    );
  });

  it("must list the options to create with a missing select property", async () => {
    const db = notion.addDatabase({ schema: complete({}, ["Week"]) });
    const check = line(await checkNotion(env(db.databaseId)), 'Notion property "Week"');
    assert.equal(check.status, "fail");
    assert.match(
      check.fix ?? "",
      /type Select → name it "Week" exactly, with the options "1주차", "2주차", "3주차", "4주차", "5주차"$/,
    );
  });

  it("must tell to rename a property spelled with the wrong case or underscores", async () => {
    const db = notion.addDatabase({
      schema: complete({ "System Health": { type: "select", options: [] } }, ["System_Health"]),
    });
    const check = line(await checkNotion(env(db.databaseId)), 'Notion property "System_Health"');
    assert.equal(check.status, "fail");
    assert.match(check.fix ?? "", /^rename the column "System Health" to "System_Health" exactly/);
  });

  it("must name a mistyped property with the type found and the type to choose", async () => {
    const db = notion.addDatabase({ schema: complete({ Backup_Size: { type: "rich_text" } }) });
    const check = line(await checkNotion(env(db.databaseId)), 'Notion property "Backup_Size"');
    assert.equal(check.status, "fail");
    assert.equal(check.detail, "is Text, expected Number");
    assert.match(check.fix ?? "", /click the "Backup_Size" column header → Edit property → Type → Number/);
  });

  it("must name each missing Status option with its colour", async () => {
    const db = notion.addDatabase({
      schema: complete({
        Status: { type: "status", options: [{ name: "✅ 완료", color: "green" }, { name: "Done" }] },
      }),
    });
    const check = line(await checkNotion(env(db.databaseId)), 'Notion property "Status"');
    assert.equal(check.status, "fail");
    assert.equal(check.detail, 'status option(s) "⚠️ 점검필요", "❌ 실패" missing');
    assert.equal(
      check.fix,
      'click the "Status" column header → Edit property → + Add option: "⚠️ 점검필요" (yellow, 노란색), "❌ 실패" (red, 빨간색) (the API cannot add status options)',
    );
  });

  it("must accept Status as a select and only advise on select options Notion would add uncoloured", async () => {
    const db = notion.addDatabase({
      schema: complete({
        Status: { type: "select", options: [] },
        Category: { type: "multi_select", options: [{ name: "AWS Snapshot" }] },
      }),
    });
    const checks = await checkNotion(env(db.databaseId));
    assert.equal(checks.filter((c) => c.status === "fail").length, 0);
    const status = line(checks, 'Notion property "Status"');
    assert.equal(status.status, "warn");
    assert.match(
      status.fix ?? "",
      /\+ Add option: "✅ 완료" \(green, 녹색\), "⚠️ 점검필요" \(yellow, 노란색\), "❌ 실패" \(red, 빨간색\)$/,
    );
    const category = line(checks, 'Notion property "Category"');
    assert.equal(category.status, "warn");
    assert.match(category.detail, /"RDS Dump", "S3 Sync", "Local HDD Backup", "보안 점검" not there yet/);
  });

  it("must advise the 5주차 option and the optional Job_ID on the seed's own four-week schema", async () => {
    const db = notion.addDatabase({ schema: seedProperties() });
    const checks = await checkNotion(env(db.databaseId));
    assert.equal(checks.filter((c) => c.status === "fail").length, 0);
    assert.deepEqual(
      checks.filter((c) => c.status === "warn").map((c) => c.name),
      ['Notion property "Week"', 'Notion property "Job_ID"'],
    );
    assert.match(line(checks, 'Notion property "Week"').fix ?? "", /\+ Add option: "5주차"$/);
  });

  it("must report a wrong token as 401 with where to copy the right one, and stop there", async () => {
    const db = notion.addDatabase({ schema: complete() });
    const checks = await checkNotion(env(db.databaseId, `ntn_${"0".repeat(40)}`));
    assert.equal(checks.length, 1);
    const [token] = checks;
    assert.equal(token!.status, "fail");
    assert.equal(token!.detail, "401 unauthorized: the token is wrong or was revoked");
    assert.match(token!.fix ?? "", /my-integrations → DROX DevOps Backup/);
    assert.match(token!.fix ?? "", /NOTION_TOKEN/);
  });

  it("must say to connect the integration when the database is not shared with it", async () => {
    const db = notion.addDatabase({ schema: complete(), shared: false });
    const checks = await checkNotion(env(db.databaseId));
    const last = checks.at(-1)!;
    assert.equal(last.status, "fail");
    assert.match(last.detail, /^404 object_not_found: the id is wrong, or the integration is not connected/);
    assert.match(last.fix ?? "", /··· → Connections → Connect to → DROX DevOps Backup → Confirm/);
    assert.equal(checks.filter((c) => c.name.startsWith("Notion property")).length, 0);
  });

  it("must reject an id that is not a Notion id, and a missing token, naming the variables", async () => {
    const bad = await checkNotion(env("backup-log"));
    assert.equal(bad.at(-1)!.name, "Notion database id (NOTION_DATABASE_ID)");
    assert.equal(bad.at(-1)!.status, "fail");
    const none = await checkNotion({ NOTION_API_BASE_URL: notion.url });
    assert.deepEqual(
      none.map((c) => [c.status, c.detail]),
      [["fail", "neither NOTION_TOKEN nor NOTION_TOKEN_SECRET_ARN is set"]],
    );
  });

  it("must exit 1 from the command on a problem and 0 when only advice remains, one line per check", async () => {
    const lines: string[] = [];
    const run = async (databaseId: string) => {
      lines.length = 0;
      const io: CliIo = {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
        isTTY: false,
        env: env(databaseId),
        exitCode: 0,
      };
      await buildProgram(io, [registerDoctorCommand]).parseAsync([
        "node",
        "drox-backup",
        "doctor",
        "--only",
        "notion",
      ]);
      return io.exitCode;
    };
    const broken = notion.addDatabase({ schema: complete({ Backup_Size: { type: "rich_text" } }) });
    assert.equal(await run(broken.databaseId), 1);
    assert.ok(lines.includes("Notion"));
    assert.ok(
      lines.some((l) => l.startsWith('  ✗ Notion property "Backup_Size": is Text, expected Number → fix: ')),
      lines.join("\n"),
    );
    assert.match(lines.at(-1)!, /^1 problem\(s\) to fix/);
    const fine = notion.addDatabase({ schema: seedProperties() });
    assert.equal(await run(fine.databaseId), 0);
    assert.ok(lines.some((l) => l.startsWith('  ! Notion property "Week":')));
  });
});
