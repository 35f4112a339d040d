import assert from "node:assert/strict";
import { DroxError } from "../runtime/contract/errors";
import {
  EXPECTED_SCHEMA,
  NotionSchemaError,
  type PropertyConfig,
  checkSchema,
  describeProblem,
  planSchema,
} from "../runtime/notion/schema";

/** The seed's database as the API describes it: title "Name" plus the twelve properties. */
function seed(): Record<string, PropertyConfig> {
  return {
    Name: { type: "title" },
    Date: { type: "date" },
    Summary: { type: "rich_text" },
    Status: {
      type: "status",
      status: { options: [{ name: "✅ 완료" }, { name: "⚠️ 점검필요" }, { name: "❌ 실패" }] },
    },
    Category: { type: "multi_select" },
    Week: { type: "select" },
    System_Health: { type: "select" },
    Backup_Size: { type: "number" },
    DB_Verified: { type: "checkbox" },
    Security_Check: { type: "checkbox" },
    Slack_Log_Link: { type: "url" },
    Report_Link: { type: "url" },
    Improvement: { type: "rich_text" },
  };
}

describe("Notion schema check", () => {
  it("must describe the seed's twelve properties plus the optional Job_ID", () => {
    const required = Object.entries(EXPECTED_SCHEMA)
      .filter(([, s]) => !s.optional)
      .map(([n]) => n);
    assert.deepEqual(required, [
      "Date",
      "Summary",
      "Status",
      "Category",
      "Week",
      "System_Health",
      "Backup_Size",
      "DB_Verified",
      "Security_Check",
      "Slack_Log_Link",
      "Report_Link",
      "Improvement",
    ]);
    assert.deepEqual(
      EXPECTED_SCHEMA.Status!.options!.map((o) => [o.name, o.color]),
      [
        ["✅ 완료", "green"],
        ["⚠️ 점검필요", "yellow"],
        ["❌ 실패", "red"],
      ],
    );
  });

  it("must accept the seed's schema: title is Name, Summary is text, Status is status", () => {
    assert.deepEqual(checkSchema(seed()), []);
    assert.deepEqual(planSchema(seed()), {
      titleProperty: "Name",
      summaryTextProperty: "Summary",
      statusType: "status",
      jobIdProperty: undefined,
    });
  });

  it("must put the summary in Summary when Summary is the title", () => {
    const props = seed();
    delete props.Name;
    props.Summary = { type: "title" };
    assert.deepEqual(planSchema(props), {
      titleProperty: "Summary",
      summaryTextProperty: undefined,
      statusType: "status",
      jobIdProperty: undefined,
    });
  });

  it("must accept Status as a select and use Job_ID when it is rich_text", () => {
    const props = { ...seed(), Status: { type: "select" }, Job_ID: { type: "rich_text" } };
    const plan = planSchema(props);
    assert.equal(plan.statusType, "select");
    assert.equal(plan.jobIdProperty, "Job_ID");
  });

  it("must list every problem in one non-retryable error: missing, mistyped, missing status options", () => {
    const props: Record<string, PropertyConfig> = {
      ...seed(),
      Backup_Size: { type: "rich_text" },
      Week: { type: "multi_select" },
      Status: { type: "status", status: { options: [{ name: "✅ 완료" }] } },
      Job_ID: { type: "number" },
    };
    delete props.Date;
    delete props.Improvement;
    assert.throws(
      () => planSchema(props, '"백업 로그"'),
      (error: unknown) => {
        assert.ok(error instanceof NotionSchemaError);
        assert.ok(error instanceof DroxError);
        assert.equal(error.retryable, false);
        assert.deepEqual(
          error.problems.map((p) => [p.property, p.expected.join("|"), p.actual, p.missingOptions]),
          [
            ["Date", "date", undefined, undefined],
            ["Status", "status|select", "status", ["⚠️ 점검필요", "❌ 실패"]],
            ["Week", "select", "multi_select", undefined],
            ["Backup_Size", "number", "rich_text", undefined],
            ["Improvement", "rich_text", undefined, undefined],
            ["Job_ID", "rich_text", "number", undefined],
          ],
        );
        assert.match(error.message, /Notion database "백업 로그" does not match .* \(6 problems\)/);
        assert.match(error.message, /- Date: missing — add a date property named "Date"/);
        assert.match(error.message, /- Backup_Size: expected number, found rich_text/);
        assert.match(error.message, /- Status: status option\(s\) "⚠️ 점검필요", "❌ 실패" missing/);
        return true;
      },
    );
  });

  it("must name the property case-exactly: 'backup_size' is not 'Backup_Size'", () => {
    const props: Record<string, PropertyConfig> = { ...seed(), backup_size: { type: "number" } };
    delete props.Backup_Size;
    assert.deepEqual(
      checkSchema(props).map((p) => p.property),
      ["Backup_Size"],
    );
  });

  it("must need a title property, and all three status options of a Status without any", () => {
    const props: Record<string, PropertyConfig> = {
      ...seed(),
      Name: { type: "rich_text" },
      Status: { type: "status" },
    };
    assert.deepEqual(checkSchema(props), [
      {
        property: "Status",
        expected: ["status", "select"],
        actual: "status",
        missingOptions: ["✅ 완료", "⚠️ 점검필요", "❌ 실패"],
      },
      { property: "(title)", expected: ["title"] },
    ]);
  });

  it("must word one problem, and several, as the user reads them", () => {
    const props: Record<string, PropertyConfig> = { ...seed() };
    delete props.Summary;
    assert.throws(
      () => planSchema(props),
      (error: unknown) =>
        error instanceof NotionSchemaError &&
        error.message ===
          "Notion database (unnamed) does not match the schema drox-backup writes (1 problem):\n" +
            '  - Summary: missing — add a rich_text or title property named "Summary"',
    );
    delete props.Date;
    assert.throws(
      () => planSchema(props, '"백업 로그"'),
      (error: unknown) =>
        error instanceof NotionSchemaError &&
        error.message ===
          'Notion database "백업 로그" does not match the schema drox-backup writes (2 problems):\n' +
            '  - Date: missing — add a date property named "Date"\n' +
            '  - Summary: missing — add a rich_text or title property named "Summary"',
    );
  });

  it("must ask for a type change, not options, when the type is wrong (an empty option list is no problem)", () => {
    assert.equal(
      describeProblem({
        property: "Status",
        expected: ["status", "select"],
        actual: "rich_text",
        missingOptions: [],
      }),
      "Status: expected status or select, found rich_text — change the property's type to status",
    );
  });
});
