import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { DroxError } from "../runtime/contract/errors";
import type { DroxEvent } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import {
  type NotionClientTuning,
  NotionApiError,
  NotionSchemaError,
  createNotionLoggerFromEnv,
} from "../runtime/notion";
import type { NotionLogger } from "../runtime/notion/writer";
import {
  type FakeDatabase,
  type FakeNotionServer,
  type FakePage,
  seedProperties,
  startFakeNotion,
} from "./fakes/notion-server";
import {
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_RDS_SUCCESS,
  SEED_REPORT,
  SEED_S3_WARNING,
  SEED_SUCCESS,
} from "./fixtures/events";

const SENTINEL = `ntn_SENTINEL${"7".repeat(36)}`;

function text(value: unknown): string {
  const items =
    (value as { title?: unknown[]; rich_text?: unknown[] }).title ??
    (value as { rich_text?: unknown[] }).rich_text ??
    [];
  return (items as { text: { content: string } }[]).map((i) => i.text.content).join("");
}

function blockTexts(page: FakePage): string[] {
  return page.children.map((b) => text(b[b.type as string]));
}

describe("Notion writer against the fake Notion API", function () {
  let notion: FakeNotionServer;
  let logs: string[];
  const sink = () =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });

  before(async () => {
    notion = await startFakeNotion({ token: SENTINEL });
  });
  after(async () => {
    await notion.close();
  });
  beforeEach(() => {
    notion.reset();
    notion.databases.clear();
    logs = [];
  });

  function open(
    db: FakeDatabase,
    tuning: NotionClientTuning = {},
    env: NodeJS.ProcessEnv = {},
  ): Promise<NotionLogger> {
    return createNotionLoggerFromEnv(
      {
        NOTION_TOKEN: notion.token,
        NOTION_DATABASE_ID: db.databaseId,
        NOTION_API_BASE_URL: notion.url,
        ...env,
      },
      {
        requestsPerSecond: 0,
        retry: { maxRetries: 2, initialRetryDelayMs: 20, maxRetryDelayMs: 2000 },
        logger: createLogger({ name: "notion-test", level: "debug", destination: sink() }),
        ...tuning,
      },
    );
  }

  it("must write the seed's three backup rows and the weekly row with the seed's values", async () => {
    const db = notion.addDatabase();
    const writer = await open(db);
    for (const event of [SEED_SUCCESS, SEED_RDS_SUCCESS, SEED_S3_WARNING, SEED_REPORT]) {
      const out = await writer.log(event);
      assert.equal(out.created, true);
    }
    const pages = notion.pages(db.dataSourceId);
    const table = pages.map((p) => ({
      Date: (p.properties.Date!.date as { start: string }).start,
      Name: text(p.properties.Name),
      Summary: text(p.properties.Summary),
      Status: (p.properties.Status!.status as { name: string }).name,
      Category: (p.properties.Category!.multi_select as { name: string }[]).map((o) => o.name).join(","),
      Week: (p.properties.Week!.select as { name: string }).name,
      System_Health: (p.properties.System_Health!.select as { name: string }).name,
      Backup_Size: p.properties.Backup_Size?.number,
    }));
    assert.deepEqual(table, [
      {
        Date: "2024-11-04",
        Name: "EBS 백업: vol-123456",
        Summary: "EBS 백업: vol-123456",
        Status: "✅ 완료",
        Category: "AWS Snapshot",
        Week: "1주차",
        System_Health: "정상",
        Backup_Size: 100,
      },
      {
        Date: "2024-11-04",
        Name: "RDS 백업: db-instance-1",
        Summary: "RDS 백업: db-instance-1",
        Status: "✅ 완료",
        Category: "RDS Dump",
        Week: "1주차",
        System_Health: "정상",
        Backup_Size: 50,
      },
      {
        Date: "2024-11-04",
        Name: "S3 백업: bucket-prod",
        Summary: "S3 백업: bucket-prod",
        Status: "⚠️ 점검필요",
        Category: "S3 Sync",
        Week: "1주차",
        System_Health: "주의",
        Backup_Size: 200,
      },
      {
        Date: "2024-11-03",
        Name: "주간 백업 리포트: 총 42건 실행, 성공률 95%",
        Summary: "주간 백업 리포트\n총 42건 실행, 성공률 95%",
        Status: "✅ 완료",
        Category: "보안 점검",
        Week: "1주차",
        System_Health: "정상",
        Backup_Size: undefined,
      },
    ]);
    assert.equal(blockTexts(pages[0]!)[0], `Job ID: ${SEED_SUCCESS.jobId}`);
    assert.ok(blockTexts(pages[3]!).includes("RDS: db-test-456 (Job ID: 01JC8A0000000000000000000B)"));
  });

  it("must read the schema once per cold start", async () => {
    const db = notion.addDatabase();
    const writer = await open(db);
    await writer.log(SEED_SUCCESS);
    await writer.log(SEED_RDS_SUCCESS);
    const schemaReads = notion.requests.filter(
      (r) => r.method === "GET" && /\/(databases|data_sources)\//.test(r.path),
    );
    assert.equal(schemaReads.length, 2); // the database, then its data source
  });

  describe("schema adaptation", () => {
    it("must put the summary in the title when Summary is the title", async () => {
      const db = notion.addDatabase({ schema: seedProperties({ summaryAsTitle: true }) });
      await (await open(db)).log(SEED_SUCCESS);
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(text(page!.properties.Summary), "EBS 백업: vol-123456");
      assert.ok("title" in page!.properties.Summary!);
    });

    it("must use whichever property is the title (here 이름)", async () => {
      const db = notion.addDatabase({ schema: seedProperties({ titleName: "이름" }) });
      await (await open(db)).log(SEED_FAILURE);
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(text(page!.properties["이름"]), "RDS 백업: db-instance-1");
      assert.equal(text(page!.properties.Summary), "RDS 백업: db-instance-1");
      assert.deepEqual(page!.properties.Status, { status: { name: "❌ 실패" } });
    });

    it("must write Status as a select when the database has a select", async () => {
      const db = notion.addDatabase({ schema: seedProperties({ statusAs: "select" }) });
      await (await open(db)).log(SEED_S3_WARNING);
      assert.deepEqual(notion.pages(db.dataSourceId)[0]!.properties.Status, {
        select: { name: "⚠️ 점검필요" },
      });
    });

    it("must fail with one error naming every missing or mistyped property, before writing anything", async () => {
      const db = notion.addDatabase({
        schema: seedProperties({
          omit: ["Week", "DB_Verified"],
          override: {
            Backup_Size: { type: "rich_text" },
            Status: { type: "status", options: [{ name: "Done" }] },
          },
        }),
      });
      const writer = await open(db);
      await assert.rejects(writer.log(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof NotionSchemaError);
        assert.equal(error.retryable, false);
        assert.deepEqual(
          error.problems.map((p) => p.property),
          ["Status", "Week", "Backup_Size", "DB_Verified"],
        );
        assert.match(error.message, /Notion database "백업 로그" does not match/);
        assert.match(error.message, /Backup_Size: expected number, found rich_text/);
        assert.match(error.message, /Week: missing — add a select property named "Week"/);
        assert.match(error.message, /"✅ 완료", "⚠️ 점검필요", "❌ 실패" missing/);
        return true;
      });
      assert.equal(notion.pages().length, 0);
    });
  });

  describe("Notion's limits", () => {
    it("must cut text over 2,000 characters instead of being rejected", async () => {
      const db = notion.addDatabase();
      const huge: DroxEvent = {
        ...SEED_FAILURE,
        error: { message: "E".repeat(9000) },
        improvement: "개".repeat(4500),
        resource: "db-".padEnd(1024, "x"),
      };
      const out = await (await open(db)).log(huge);
      assert.equal(out.created, true);
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(text(page!.properties.Improvement), "개".repeat(4500));
      assert.ok(blockTexts(page!).includes("E".repeat(9000)));
    });

    it("must fit a 300-finding check into 100 children", async () => {
      const db = notion.addDatabase();
      const findings = Array.from({ length: 300 }, (_, i) => ({
        severity: "WARNING" as const,
        resource: `snap-${i}`,
        message: "unencrypted",
      }));
      await (await open(db)).log({ ...SEED_CHECK_PROBLEM, findings });
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(page!.children.length, 100);
      assert.equal(text(page!.properties.Name), "보안 점검: 문제 300건");
      assert.match(blockTexts(page!)[99]!, /^… 외 \d+건$/);
    });

    it("must write a result with every text at its contract maximum, in Korean, in one request", async () => {
      const db = notion.addDatabase();
      const longest: DroxEvent = {
        ...SEED_FAILURE,
        resource: "데".repeat(1024),
        error: { message: "에".repeat(10_000), code: "E".repeat(256) },
        improvement: "개".repeat(10_000),
        links: {
          slackLog: `https://s.example/${"a".repeat(1900)}`,
          report: `https://r.example/${"b".repeat(1900)}`,
        },
      };
      assert.equal((await (await open(db)).log(longest)).created, true);
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(text(page!.properties.Improvement), "개".repeat(10_000));
      assert.ok(blockTexts(page!).includes("에".repeat(10_000)));
    });

    // Without the cut, 100 bullets of 9,800 Korean characters are ~3 MB: the fake, like Notion
    // (developers.notion.com/reference/request-limits), answers 400 and the page is lost.
    it("must write a check with 300 long Korean findings in one request under Notion's 500 KB", async () => {
      const db = notion.addDatabase();
      const findings = Array.from({ length: 300 }, (_, i) => ({
        severity: "CRITICAL" as const,
        resource: `snap-${i}`,
        message: "암호화되지 않은 스냅샷입니다".repeat(700),
      }));
      const out = await (await open(db)).log({ ...SEED_CHECK_PROBLEM, findings });
      assert.equal(out.created, true);
      assert.deepEqual(
        notion.requests.filter((r) => r.status === 400),
        [],
      );
      const [page] = notion.pages(db.dataSourceId);
      const texts = blockTexts(page!);
      const shown = texts.filter((t) => t.startsWith("[CRITICAL] snap-")).length;
      assert.equal(texts.at(-1), `… 외 ${300 - shown}건`);
      assert.ok(Buffer.byteLength(JSON.stringify(page!.children), "utf8") <= 200_000);
    });
  });

  describe("idempotency", () => {
    for (const withJobId of [false, true]) {
      const how = withJobId ? "with a Job_ID property" : "with the seed's schema (no id column)";
      it(`must create one page for a duplicate delivery to a new process, ${how}`, async () => {
        const db = notion.addDatabase({ schema: seedProperties({ withJobId }) });
        const first = await (await open(db)).log(SEED_SUCCESS);
        const second = await (await open(db)).log(SEED_SUCCESS); // a new cold start: no cache
        assert.equal(first.created, true);
        // The page's URL too (bot mode links the Slack message to it): notion.so/<id without dashes>.
        assert.deepEqual(second, {
          pageId: first.pageId,
          created: false,
          url: `https://www.notion.so/${first.pageId.replace(/-/g, "")}`,
        });
        assert.equal(notion.pages(db.dataSourceId).length, 1);
        if (withJobId)
          assert.equal(text(notion.pages(db.dataSourceId)[0]!.properties.Job_ID), SEED_SUCCESS.jobId);
      });
    }

    it("must look a weekly report up by its one-line title, so a redelivery without Job_ID stays one page", async () => {
      const db = notion.addDatabase();
      const first = await (await open(db)).log(SEED_REPORT);
      const second = await (await open(db)).log(SEED_REPORT); // a new cold start: no cache
      // The page's URL too (bot mode links the Slack message to it): notion.so/<id without dashes>.
      assert.deepEqual(second, {
        pageId: first.pageId,
        created: false,
        url: `https://www.notion.so/${first.pageId.replace(/-/g, "")}`,
      });
      assert.equal(notion.pages(db.dataSourceId).length, 1);
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(text(page!.properties.Name), "주간 백업 리포트: 총 42건 실행, 성공률 95%");
      assert.ok(!/[\r\n]/.test(text(page!.properties.Name)));
    });

    it("must keep two runs of one volume on one day as two pages", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      await writer.log(SEED_SUCCESS);
      const rerun = {
        ...SEED_SUCCESS,
        jobId: "01JC9Z9999999999999999999Z",
        finishedAt: "2024-11-04T14:00:45+09:00",
      };
      assert.equal((await writer.log(rerun)).created, true);
      assert.equal((await (await open(db)).log(rerun)).created, false);
      assert.equal(notion.pages(db.dataSourceId).length, 2);
    });

    it("must answer a redelivery in a warm process from its cache, without a request", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      await writer.log(SEED_REPORT);
      const before = notion.stats.total;
      assert.equal((await writer.log(SEED_REPORT)).created, false);
      assert.equal(notion.stats.total, before);
    });

    it("must create one page for concurrent duplicates in one process", async () => {
      const db = notion.addDatabase();
      notion.latencyMs = 30;
      const writer = await open(db);
      const results = await Promise.all(Array.from({ length: 5 }, () => writer.log(SEED_S3_WARNING)));
      assert.equal(new Set(results.map((r) => r.pageId)).size, 1);
      assert.equal(notion.pages(db.dataSourceId).length, 1);
    });

    it("must not duplicate when the create succeeded but its response was lost (5xx after commit)", async () => {
      const db = notion.addDatabase();
      notion.failNext({ status: 502, method: "POST", path: /\/v1\/pages$/, commit: true });
      await assert.rejects((await open(db)).log(SEED_FAILURE), (error: unknown) => {
        assert.ok(error instanceof NotionApiError);
        assert.equal(error.retryable, true);
        assert.equal(error.statusCode, 502);
        return true;
      });
      // Lambda retries the record: a new attempt finds the page instead of writing a second one.
      const retry = await (await open(db)).log(SEED_FAILURE);
      assert.equal(retry.created, false);
      assert.equal(notion.pages(db.dataSourceId).length, 1);
    });
  });

  describe("retries and errors", () => {
    it("must honour Retry-After on 429 through the SDK's retry", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      notion.rateLimitNext(1, 1);
      const started = Date.now();
      const out = await writer.log(SEED_SUCCESS);
      const waited = Date.now() - started;
      assert.equal(out.created, true);
      assert.ok(waited >= 950, `waited ${waited} ms, Retry-After was 1 s`);
      assert.equal(notion.stats.rateLimited, 1);
    });

    it("must give a retryable error when still rate limited after the retry budget", async () => {
      const db = notion.addDatabase();
      const writer = await open(db, {
        retry: { maxRetries: 1, initialRetryDelayMs: 10, maxRetryDelayMs: 50 },
      });
      notion.rateLimitNext(5, 0);
      await assert.rejects(writer.log(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof NotionApiError);
        assert.equal(error.retryable, true);
        assert.equal(error.statusCode, 429);
        assert.match(error.message, /rate limited/);
        return true;
      });
      assert.equal(notion.stats.rateLimited, 2);
    });

    it("must retry a 5xx on reads (the SDK retries GETs) and surface a 5xx on writes as retryable", async () => {
      const db = notion.addDatabase();
      notion.failNext({ status: 503, method: "GET", count: 1 });
      const writer = await open(db);
      notion.failNext({ status: 500, method: "POST", path: /\/v1\/pages$/ });
      await assert.rejects(
        writer.log(SEED_SUCCESS),
        (e: unknown) => e instanceof NotionApiError && e.retryable && e.statusCode === 500,
      );
      assert.equal(notion.pages().length, 0);
      assert.equal((await writer.log(SEED_SUCCESS)).created, true); // the retried read made the schema; the redelivery works
      assert.equal(notion.requests.filter((r) => r.status === 503).length, 1);
    });

    it("must time out a slow response as a retryable error", async () => {
      const db = notion.addDatabase();
      notion.latencyMs = 300;
      const writer = await open(db, { timeoutMs: 100, retry: false });
      await assert.rejects(
        writer.log(SEED_SUCCESS),
        (e: unknown) => e instanceof NotionApiError && e.retryable && /timed out/.test(e.message),
      );
    });

    it("must say the token is wrong on 401, without retrying", async () => {
      const db = notion.addDatabase();
      const writer = await createNotionLoggerFromEnv(
        {
          NOTION_TOKEN: "ntn_wrongtoken000000000000000000000000",
          NOTION_DATABASE_ID: db.databaseId,
          NOTION_API_BASE_URL: notion.url,
        },
        { requestsPerSecond: 0, logger: createLogger({ destination: sink() }) },
      );
      await assert.rejects(writer.log(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof NotionApiError);
        assert.equal(error.retryable, false);
        assert.equal(error.statusCode, 401);
        assert.match(error.message, /token is wrong/);
        assert.match(error.message, /NOTION_TOKEN/);
        return true;
      });
      assert.equal(notion.stats.total, 1);
    });

    it("must say to connect the integration when the database is not shared (404)", async () => {
      const db = notion.addDatabase({ shared: false });
      await assert.rejects((await open(db)).log(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof NotionApiError);
        assert.equal(error.retryable, false);
        assert.equal(error.code, "object_not_found");
        assert.match(error.message, /database id .* is wrong or the integration is not connected/);
        assert.match(error.message, /Connections → Connect to → DROX DevOps Backup/);
        return true;
      });
    });

    it("must pass on Notion's validation message naming the property", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      await writer.writeTestPage(); // reads the schema
      db.schema.Backup_Size = { type: "rich_text" }; // changed behind the warm process's back
      await assert.rejects(writer.log(SEED_SUCCESS), (error: unknown) => {
        assert.ok(error instanceof NotionApiError);
        assert.equal(error.retryable, false);
        assert.equal(error.statusCode, 400);
        assert.match(error.message, /validation_error — Backup_Size is expected to be rich_text\./);
        return true;
      });
    });

    it("must never show the token in errors, stacks or logs (sentinel)", async () => {
      const db = notion.addDatabase({ shared: false });
      const errors: unknown[] = [];
      const writer = await open(db);
      await writer.log(SEED_SUCCESS).catch((e: unknown) => errors.push(e));
      notion.databases.get(db.databaseId)!.shared = true;
      notion.rateLimitNext(1, 0);
      notion.failNext({ status: 500, method: "POST" });
      await writer.log(SEED_SUCCESS).catch((e: unknown) => errors.push(e));
      const wrong = await createNotionLoggerFromEnv(
        { NOTION_TOKEN: `${SENTINEL}x`, NOTION_DATABASE_ID: db.databaseId, NOTION_API_BASE_URL: notion.url },
        { requestsPerSecond: 0, logger: createLogger({ destination: sink(), level: "debug" }) },
      );
      await wrong.log(SEED_SUCCESS).catch((e: unknown) => errors.push(e));
      assert.equal(errors.length, 3);
      for (const error of errors) {
        assert.ok(error instanceof DroxError);
        const shown = [
          inspect(error, { depth: 10 }),
          String(error.stack),
          JSON.stringify(error.body ?? null),
          error.message,
        ].join("\n");
        assert.ok(!shown.includes(SENTINEL), shown);
      }
      assert.ok(logs.length > 0);
      assert.ok(!logs.join("").includes(SENTINEL));
    });
  });

  describe("configuration", () => {
    it("must accept the database URL as users copy it", async () => {
      const db = notion.addDatabase();
      const writer = await open(
        db,
        {},
        {
          NOTION_DATABASE_ID: `https://www.notion.so/workspace/Backup-Log-${db.databaseId}?v=0123456789abcdef0123456789abcdef`,
        },
      );
      assert.equal((await writer.log(SEED_SUCCESS)).created, true);
    });

    it("must reject a bad database id, time zone or base URL naming the variable", async () => {
      const db = notion.addDatabase();
      await assert.rejects(
        open(db, {}, { NOTION_DATABASE_ID: "abc123def456" }),
        /NOTION_DATABASE_ID is not a Notion database id/,
      );
      await assert.rejects(open(db, {}, { DISPLAY_TIME_ZONE: "Mars/Olympus" }), /DISPLAY_TIME_ZONE/);
      await assert.rejects(open(db, {}, { NOTION_API_BASE_URL: "ftp://x" }), /NOTION_API_BASE_URL/);
      await assert.rejects(
        open(db, {}, { NOTION_TOKEN: "" }),
        /NOTION_TOKEN or NOTION_TOKEN_SECRET_ARN must be set/,
      );
      await assert.rejects(
        open(db, {}, { SUCCESS_RATE_OK: "0.5", SUCCESS_RATE_WARN: "0.9" }),
        /SUCCESS_RATE_WARN/,
      );
    });

    it("must use DISPLAY_TIME_ZONE for Date and SUCCESS_RATE_OK for the report's Status", async () => {
      const db = notion.addDatabase();
      const writer = await open(db, {}, { DISPLAY_TIME_ZONE: "UTC", SUCCESS_RATE_OK: "0.99" });
      await writer.log(SEED_SUCCESS);
      await writer.log(SEED_REPORT);
      const [result, report] = notion.pages(db.dataSourceId);
      assert.deepEqual(result!.properties.Date, { date: { start: "2024-11-03" } }); // 02:00:45 KST is the 3rd in UTC
      assert.deepEqual(report!.properties.Status, { status: { name: "⚠️ 점검필요" } });
    });

    it("must write a test page", async () => {
      const db = notion.addDatabase();
      const { pageId } = await (await open(db)).writeTestPage();
      const [page] = notion.pages(db.dataSourceId);
      assert.equal(page!.id, pageId);
      assert.equal(text(page!.properties.Name), "drox-backup 연동 테스트");
    });
  });

  it("must key pages on eventId for every event kind", async () => {
    const db = notion.addDatabase({ schema: seedProperties({ withJobId: true }) });
    const writer = await open(db);
    for (const event of [SEED_SUCCESS, SEED_REPORT, SEED_CHECK_PROBLEM]) await writer.log(event);
    assert.deepEqual(
      notion.pages(db.dataSourceId).map((p) => text(p.properties.Job_ID)),
      // The event contract's idempotency keys: a result's jobId, a report's reportId, a check's checkId.
      [SEED_SUCCESS.jobId, SEED_REPORT.reportId, SEED_CHECK_PROBLEM.checkId],
    );
  });
});
