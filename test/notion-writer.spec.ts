import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { Client } from "@notionhq/client";
import { DroxError } from "../runtime/contract/errors";
import type { BackupResult, DroxEvent } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import {
  type NotionClientTuning,
  NotionApiError,
  NotionSchemaError,
  createNotionLoggerFromEnv,
} from "../runtime/notion";
import { type FetchLike, defaultFetch } from "../runtime/notion/pacing";
import { type NotionLogger, NotionWriter } from "../runtime/notion/writer";
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
      await writer.log(SEED_SUCCESS); // a second id does not push the first out of a 10,000-id cache
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

    /** The URLs the client asks for, answered 404 without a network (the API is never reached). */
    function capturing(): { fetch: FetchLike; urls: string[] } {
      const urls: string[] = [];
      const fetch: FetchLike = (url) => {
        urls.push(url);
        const body = { object: "error", status: 404, code: "object_not_found", message: "Not found." };
        return Promise.resolve(new Response(JSON.stringify(body), { status: 404 }));
      };
      return { fetch, urls };
    }

    it("must talk to Notion's own API when NOTION_API_BASE_URL is blank, and to the given base otherwise", async () => {
      const db = notion.addDatabase();
      const cases: [string | undefined, string][] = [
        ["  ", "https://api.notion.com/v1/databases/"],
        [undefined, "https://api.notion.com/v1/databases/"],
        // The SDK appends /v1/ itself: a base copied with /v1 or trailing slashes is the same base.
        ["https://notion-proxy.example/v1//", "https://notion-proxy.example/v1/databases/"],
        // Only a trailing /v1 is the API's: a path that merely starts with it stays.
        ["https://notion-proxy.example/v1beta/v1", "https://notion-proxy.example/v1beta/v1/databases/"],
      ];
      for (const [base, expected] of cases) {
        const api = capturing();
        const writer = await open(db, { fetch: api.fetch, retry: false }, { NOTION_API_BASE_URL: base });
        await assert.rejects(writer.log(SEED_SUCCESS), NotionApiError);
        assert.deepEqual(
          api.urls.map((u) => u.slice(0, expected.length)),
          [expected],
          base,
        );
      }
      await assert.rejects(
        open(db, {}, { NOTION_API_BASE_URL: "not a url" }),
        /NOTION_API_BASE_URL must be an http\(s\) URL, e.g. http:\/\/127.0.0.1:8787/,
      );
    });

    // developers.notion.com/reference/request-limits: an average of three requests per second.
    it("must pace at Notion's three requests per second by default, so a fake that enforces it never answers 429", async function () {
      this.timeout(20_000);
      // A server of its own: nothing else of this spec may count against its window.
      const limited = await startFakeNotion({ token: SENTINEL });
      try {
        const db = limited.addDatabase();
        limited.setRateLimit({ requestsPerSecond: 3 });
        const writer = await createNotionLoggerFromEnv(
          {
            NOTION_TOKEN: limited.token,
            NOTION_DATABASE_ID: db.databaseId,
            NOTION_API_BASE_URL: limited.url,
          },
          { logger: createLogger({ destination: sink() }) },
        );
        for (const event of [SEED_SUCCESS, SEED_RDS_SUCCESS, SEED_S3_WARNING]) await writer.log(event);
        // The database, its data source, then a query and a create per event: 8 requests, 7 gaps of ≥ 1/3 s.
        const requests = limited.requests;
        assert.equal(requests.length, 8);
        assert.equal(limited.stats.rateLimited, 0);
        assert.ok(requests.at(-1)!.at - requests[0]!.at >= 7 * 333 - 7, "paced");
      } finally {
        await limited.close();
      }
    });

    it("must not let the SDK wait out a Retry-After over its own cap, nor retry at all when retries are off", async () => {
      const db = notion.addDatabase();
      const writer = await open(db); // maxRetryDelayMs 2000
      notion.rateLimitNext(1, 5);
      await assert.rejects(writer.log(SEED_SUCCESS), /Retry-After 5 s, more than the 2 s the client waits/);
      notion.rateLimitNext(1, 1);
      await assert.rejects(
        (await open(db, { retry: false })).log(SEED_SUCCESS),
        /Retry-After 1 s, more than the 0 s the client waits/,
      );
      assert.equal(notion.stats.rateLimited, 2);
    });

    it("must route the SDK's own warnings through the redacting logger", async () => {
      const db = notion.addDatabase({ shared: false });
      await assert.rejects((await open(db)).log(SEED_SUCCESS), NotionApiError);
      const sdk = logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.sdk === "@notionhq/client");
      assert.ok(sdk.length > 0, "the SDK logged nothing");
      assert.deepEqual(
        sdk.map((l) => [l.level, l.msg]),
        sdk.map(() => [40, "request fail"]),
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

  describe("bot mode updates of a written page", () => {
    it("must set Slack_Log_Link and Report_Link, keep a 2,000-character link and leave out a longer one", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      const { pageId } = await writer.log(SEED_FAILURE);
      const permalink = `https://drox.slack.com/archives/C1/${"p".repeat(2000 - 35)}`;
      assert.equal(permalink.length, 2000);
      await writer.setLinks(pageId, { slackLog: permalink, report: `${permalink}x` });
      const [page] = notion.pages(db.dataSourceId);
      assert.deepEqual(page!.properties.Slack_Log_Link, { url: permalink });
      assert.equal(page!.properties.Report_Link, undefined, "a cut URL is a broken link");
      await writer.setLinks(pageId, { report: permalink });
      assert.deepEqual(page!.properties.Report_Link, { url: permalink });
      assert.deepEqual(page!.properties.Slack_Log_Link, { url: permalink }, "the other link stays");
      assert.equal(page!.updates, 2);
    });

    it("must send nothing when there is no link to set", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      const { pageId } = await writer.log(SEED_FAILURE);
      const before = notion.stats.total;
      await writer.setLinks(pageId, {});
      await writer.setLinks(pageId, { slackLog: `https://s.example/${"a".repeat(2000)}` });
      assert.equal(notion.stats.total, before);
    });

    it("must follow a page up with the follow-up's Status, System_Health and Improvement only", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      const { pageId } = await writer.log(SEED_S3_WARNING);
      const followUp: DroxEvent = {
        ...SEED_S3_WARNING,
        jobId: `${SEED_S3_WARNING.jobId}.done`,
        status: "SUCCEEDED",
        resource: "bucket-other",
        finishedAt: "2024-11-20T03:05:00+09:00",
        improvement: "무결성 검사에서 스냅샷 완료 확인",
        followUpOf: SEED_S3_WARNING.jobId,
      };
      await writer.followUp(pageId, followUp);
      const [page, ...others] = notion.pages(db.dataSourceId);
      assert.equal(others.length, 0, "a follow-up is no page of its own");
      assert.deepEqual(page!.properties.Status, { status: { name: "✅ 완료" } });
      assert.deepEqual(page!.properties.System_Health, { select: { name: "정상" } });
      assert.equal(text(page!.properties.Improvement), "무결성 검사에서 스냅샷 완료 확인");
      // The original run's row stays what it was: its date, resource and size.
      assert.equal(text(page!.properties.Name), "S3 백업: bucket-prod");
      assert.deepEqual(page!.properties.Date, { date: { start: "2024-11-04" } });
      assert.deepEqual(page!.properties.Week, { select: { name: "1주차" } });
      assert.equal(page!.updates, 1);
    });
  });

  describe("what a failing call says it was doing", () => {
    async function failure(run: () => Promise<unknown>): Promise<string> {
      const error = await run().then(
        () => assert.fail("must reject"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof NotionApiError);
      return error.message;
    }

    it("must name each step of a delivery in its error", async () => {
      const db = notion.addDatabase();
      const noRetry = { retry: false } as const;
      notion.failNext({ status: 400, method: "GET", path: /\/v1\/databases\// });
      assert.match(
        await failure(async () => (await open(db, noRetry)).log(SEED_SUCCESS)),
        /^Notion: reading the database failed: /,
      );
      notion.failNext({ status: 400, method: "GET", path: /\/v1\/data_sources\// });
      assert.match(
        await failure(async () => (await open(db, noRetry)).log(SEED_SUCCESS)),
        /^Notion: reading the database schema failed: /,
      );
      notion.failNext({ status: 400, method: "POST", path: /\/query$/ });
      assert.match(
        await failure(async () => (await open(db, noRetry)).log(SEED_SUCCESS)),
        /^Notion: looking up existing pages failed: /,
      );
      await (await open(db)).log(SEED_SUCCESS);
      notion.failNext({ status: 400, method: "GET", path: /\/v1\/blocks\// });
      assert.match(
        await failure(async () => (await open(db, noRetry)).log(SEED_SUCCESS)),
        /^Notion: reading a candidate page failed: /,
      );
      notion.failNext({ status: 400, method: "POST", path: /\/v1\/pages$/ });
      assert.match(
        await failure(async () => (await open(db, noRetry)).log(SEED_FAILURE)),
        /^Notion: creating the page failed: /,
      );
      const writer = await open(db, noRetry);
      const { pageId } = await writer.log(SEED_SUCCESS);
      notion.failNext({ status: 400, method: "PATCH" });
      assert.match(
        await failure(() => writer.setLinks(pageId, { report: "https://example.com/r" })),
        /^Notion: linking the page failed: /,
      );
      notion.failNext({ status: 400, method: "PATCH" });
      assert.match(
        await failure(() => writer.followUp(pageId, SEED_SUCCESS)),
        /^Notion: updating the followed-up page failed: /,
      );
      notion.failNext({ status: 400, method: "POST", path: /\/v1\/pages$/ });
      assert.match(await failure(() => writer.writeTestPage()), /^Notion: writing the test page failed: /);
      const withJobId = notion.addDatabase({ schema: seedProperties({ withJobId: true }) });
      notion.failNext({ status: 400, method: "POST", path: /\/query$/ });
      assert.match(
        await failure(async () => (await open(withJobId, noRetry)).log(SEED_SUCCESS)),
        /^Notion: looking up the job id failed: /,
      );
    });
  });

  describe("the database as read at a cold start", () => {
    /** The fake's answers, with the JSON of GET `path` rewritten. */
    function rewriting(path: RegExp, rewrite: (body: Record<string, unknown>) => unknown): FetchLike {
      return async (url, init) => {
        const response = await defaultFetch(url, init);
        if ((init?.method ?? "GET") !== "GET" || !path.test(new URL(url).pathname)) return response;
        const body = rewrite(JSON.parse(await response.text()) as Record<string, unknown>);
        return new Response(JSON.stringify(body), { status: response.status });
      };
    }

    it("must refuse a partial database object, a database without a data source and a partial data source", async () => {
      const db = notion.addDatabase();
      const cases: [RegExp, (body: Record<string, unknown>) => unknown, RegExp][] = [
        // Notion answers `{ object, id }` only where the integration may not read the object.
        [
          /^\/v1\/databases\//,
          (b) => ({ object: "database", id: b.id }),
          /returned a partial object; is the id a database's\?/,
        ],
        [
          /^\/v1\/databases\//,
          (b) => ({ ...b, data_sources: [] }),
          /^Notion: the database "백업 로그" has no data source \(table\) to write to$/,
        ],
        [
          /^\/v1\/data_sources\//,
          (b) => ({ object: "data_source", id: b.id }),
          /^Notion: reading the database schema returned a partial object$/,
        ],
      ];
      for (const [path, rewrite, message] of cases) {
        const writer = await open(db, { fetch: rewriting(path, rewrite) });
        await assert.rejects(writer.log(SEED_SUCCESS), (error: unknown) => {
          assert.ok(error instanceof NotionApiError);
          assert.equal(error.retryable, false);
          assert.match(error.message, message);
          return true;
        });
      }
      assert.equal(notion.pages().length, 0);
    });

    it("must read the database again after a failed read, in the same process", async () => {
      const db = notion.addDatabase({ shared: false });
      const writer = await open(db);
      await assert.rejects(writer.log(SEED_SUCCESS), NotionApiError);
      notion.databases.get(db.databaseId)!.shared = true; // the user connects the integration
      assert.equal((await writer.log(SEED_SUCCESS)).created, true);
    });

    it("must log the schema it read, the pages it created and the duplicates it skipped, with their ids", async () => {
      const db = notion.addDatabase();
      const { pageId } = await (await open(db)).log(SEED_SUCCESS);
      await (await open(db)).log(SEED_SUCCESS);
      const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      const read = lines.filter((l) => l.msg === "notion schema read");
      assert.equal(read.length, 2);
      assert.equal(read[0]!.dataSource, db.dataSourceId);
      assert.deepEqual(read[0]!.plan, {
        titleProperty: "Name",
        summaryTextProperty: "Summary",
        statusType: "status",
      });
      const created = lines.filter((l) => l.msg === "notion page created");
      assert.deepEqual(
        created.map((l) => [l.id, l.pageId]),
        [[SEED_SUCCESS.jobId, pageId]],
      );
      const skipped = lines.filter((l) => l.msg === "notion page exists; duplicate delivery skipped");
      assert.deepEqual(
        skipped.map((l) => [l.id, l.pageId]),
        [[SEED_SUCCESS.jobId, pageId]],
      );
    });
  });

  describe("the idempotency lookup's requests", () => {
    it("must decide with one Job_ID query and read no page when the database has Job_ID", async () => {
      const db = notion.addDatabase({ schema: seedProperties({ withJobId: true }) });
      await (await open(db)).log(SEED_SUCCESS);
      notion.requests.length = 0; // the log only: the pages stay
      assert.equal((await (await open(db)).log(SEED_SUCCESS)).created, false);
      assert.deepEqual(
        notion.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{32,36}/g, ":id")}`),
        ["GET /v1/databases/:id", "GET /v1/data_sources/:id", "POST /v1/data_sources/:id/query"],
      );
    });

    it("must read only the pages whose date and title match", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      await writer.log(SEED_SUCCESS);
      await writer.log(SEED_RDS_SUCCESS); // same date, another title
      await writer.log({ ...SEED_S3_WARNING, finishedAt: "2024-11-05T03:05:00+09:00" }); // same title, another date
      notion.requests.length = 0; // the log only: the pages stay
      assert.equal((await (await open(db)).log(SEED_S3_WARNING)).created, true);
      assert.equal(notion.requests.filter((r) => r.path.startsWith("/v1/blocks/")).length, 0);
    });

    it("must remember a page it found, so the next redelivery costs no request", async () => {
      const db = notion.addDatabase();
      await (await open(db)).log(SEED_SUCCESS);
      const writer = await open(db);
      assert.equal((await writer.log(SEED_SUCCESS)).created, false);
      const before = notion.stats.total;
      assert.equal((await writer.log(SEED_SUCCESS)).created, false);
      assert.equal(notion.stats.total, before);
    });

    // Notion's query returns at most page_size results and a cursor (developers.notion.com/reference/query-a-data-source).
    it("must page through more than 25 candidates, and give up after 100 with a warning and a new page", async () => {
      const db = notion.addDatabase();
      const writer = await open(db);
      const run = (i: number): BackupResult => ({
        ...SEED_SUCCESS,
        jobId: `01JC9Z${String(i).padStart(20, "0")}`,
      });
      for (let i = 0; i < 101; i++) await writer.log(run(i));
      // Newest first: run 60 is the 41st candidate, on the second result page of 25.
      notion.requests.length = 0;
      assert.equal((await (await open(db)).log(run(60))).created, false);
      assert.equal(notion.requests.filter((r) => r.path.endsWith("/query")).length, 2);
      // Run 0 is the 101st: four pages of 25 are read, then a new page is written.
      notion.requests.length = 0;
      logs = [];
      assert.equal((await (await open(db)).log(run(0))).created, true);
      assert.equal(notion.requests.filter((r) => r.path.endsWith("/query")).length, 4);
      const warned = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40); // pino: 40 is warn
      assert.deepEqual(
        warned.map((l) => [l.msg, l.id]),
        [["more than 100 pages share this date and summary; created a new page", run(0).jobId]],
      );
    });

    it("must forget the oldest id beyond its cache size, and ask Notion for it again", async () => {
      const db = notion.addDatabase();
      const client = new Client({ auth: notion.token, baseUrl: notion.url });
      // The dashed id as the API shows it is the same database.
      const dashed = db.databaseId.replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
      const writer = new NotionWriter({ client, databaseId: dashed, cacheSize: 1 });
      await writer.log(SEED_SUCCESS);
      let before = notion.stats.total;
      assert.equal((await writer.log(SEED_SUCCESS)).created, false);
      assert.equal(notion.stats.total, before, "the last id is remembered");
      await writer.log(SEED_RDS_SUCCESS);
      before = notion.stats.total;
      assert.equal((await writer.log(SEED_SUCCESS)).created, false);
      assert.ok(notion.stats.total > before, "the evicted id is looked up");
      assert.equal(notion.pages(db.dataSourceId).length, 2);
    });
  });

  it("must write the test page: a 연동 테스트 row, unticked, with its Test ID and a note in the body", async () => {
    const db = notion.addDatabase();
    const before = Date.now();
    await (await open(db)).writeTestPage();
    const [page] = notion.pages(db.dataSourceId);
    assert.deepEqual(page!.properties.Category, { multi_select: [] });
    assert.deepEqual(page!.properties.DB_Verified, { checkbox: false });
    assert.deepEqual(page!.properties.Security_Check, { checkbox: false });
    assert.deepEqual(page!.properties.Status, { status: { name: "✅ 완료" } });
    const [id, note, ...rest] = blockTexts(page!);
    assert.deepEqual(rest, []);
    const at = Number(/^Test ID: test-(\d+)$/.exec(id ?? "")?.[1]);
    assert.ok(at >= before && at <= Date.now(), id);
    assert.equal(note, "drox-backup이 Notion 연동을 확인하려고 만든 페이지입니다. 지워도 됩니다.");
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
