/** The fake must refuse what Notion refuses, or the writer's tests would prove nothing. */
import assert from "node:assert/strict";
import {
  type FakeNotionServer,
  FAKE_NOTION_VERSION,
  seedProperties,
  startFakeNotion,
} from "./fakes/notion-server";

describe("fake Notion API", () => {
  let notion: FakeNotionServer;
  before(async () => {
    notion = await startFakeNotion();
  });
  after(async () => {
    await notion.close();
  });
  beforeEach(() => {
    notion.reset();
    notion.databases.clear();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${notion.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${notion.token}`,
        "notion-version": FAKE_NOTION_VERSION,
        "content-type": "application/json",
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  function page(dataSourceId: string, properties: Record<string, unknown>, children?: unknown[]) {
    return call("POST", "/v1/pages", {
      parent: { type: "data_source_id", data_source_id: dataSourceId },
      properties,
      children,
    });
  }

  const title = (content: string) => ({ title: [{ type: "text", text: { content } }] });

  it("must require the bearer token and the Notion-Version header", async () => {
    const bad = await call("GET", "/v1/users/me", undefined, { authorization: "Bearer nope" });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.code, "unauthorized");
    const noVersion = await call("GET", "/v1/users/me", undefined, { "notion-version": "" });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.json.code, "missing_version");
    const me = await call("GET", "/v1/users/me");
    assert.equal(me.status, 200);
    assert.equal(me.json.type, "bot");
  });

  it("must serve a database with its data source, and 404 when not shared", async () => {
    const db = notion.addDatabase();
    const got = await call("GET", `/v1/databases/${db.databaseId}`);
    assert.deepEqual(got.json.data_sources, [{ id: db.dataSourceId, name: "백업 로그" }]);
    const ds = await call("GET", `/v1/data_sources/${db.dataSourceId}`);
    const props = ds.json.properties as Record<
      string,
      { type: string; status?: { options: { name: string }[] } }
    >;
    assert.equal(props.Name!.type, "title");
    assert.deepEqual(
      props.Status!.status!.options.map((o) => o.name),
      ["✅ 완료", "⚠️ 점검필요", "❌ 실패"],
    );
    const hidden = notion.addDatabase({ shared: false });
    const missing = await call("GET", `/v1/databases/${hidden.databaseId}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, "object_not_found");
    assert.match(String(missing.json.message), /shared with your integration/);
  });

  it("must reject unknown properties and wrong value types as Notion words it", async () => {
    const db = notion.addDatabase();
    const unknown = await page(db.dataSourceId, { Name: title("x"), Colour: { select: { name: "red" } } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.code, "validation_error");
    assert.equal(unknown.json.message, "Colour is not a property that exists.");
    const wrong = await page(db.dataSourceId, { Name: title("x"), Status: { select: { name: "✅ 완료" } } });
    assert.equal(wrong.json.message, "Status is expected to be status.");
    const notNumber = await page(db.dataSourceId, { Name: title("x"), Backup_Size: { number: "100" } });
    assert.match(
      String(notNumber.json.message),
      /body.properties.Backup_Size.number should be a number or `null`/,
    );
  });

  it("must enforce the 2,000-character, 100-item and 100-children limits", async () => {
    const db = notion.addDatabase();
    const long = await page(db.dataSourceId, {
      Name: title("x"),
      Summary: { rich_text: [{ type: "text", text: { content: "a".repeat(2001) } }] },
    });
    assert.equal(long.status, 400);
    assert.equal(
      long.json.message,
      "body failed validation: body.properties.Summary.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.",
    );
    const para = (content: string) => ({
      object: "block",
      type: "paragraph",
      paragraph: { rich_text: [{ type: "text", text: { content } }] },
    });
    const many = await page(
      db.dataSourceId,
      { Name: title("x") },
      Array.from({ length: 101 }, () => para("p")),
    );
    assert.equal(
      many.json.message,
      "body failed validation: body.children.length should be ≤ `100`, instead was `101`.",
    );
    const longBlock = await page(db.dataSourceId, { Name: title("x") }, [para("ok"), para("b".repeat(2500))]);
    assert.match(
      String(longBlock.json.message),
      /body.children\[1\].paragraph.rich_text\[0\].text.content.length should be ≤ `2000`/,
    );
    const longUrl = await page(db.dataSourceId, {
      Name: title("x"),
      Report_Link: { url: `https://e.com/${"u".repeat(2000)}` },
    });
    assert.equal(longUrl.status, 400);
    assert.equal(notion.pages().length, 0);
  });

  it("must refuse a request over 500 KB, over 1,000 block elements or nested three levels deep", async () => {
    const db = notion.addDatabase();
    const para = (content: string, children?: unknown[]) => ({
      object: "block",
      type: "paragraph",
      paragraph: { rich_text: [{ type: "text", text: { content } }], ...(children ? { children } : {}) },
    });
    // Korean is 3 bytes a character in UTF-8: 100 blocks of 2,000 characters are about 600 KB,
    // although every block is within the 2,000-character and 100-children limits.
    const korean = await page(
      db.dataSourceId,
      { Name: title("x") },
      Array.from({ length: 100 }, () => para("점".repeat(2000))),
    );
    assert.equal(korean.status, 400);
    assert.equal(korean.json.code, "validation_error");
    assert.match(
      String(korean.json.message),
      /^body failed validation: the request body should be ≤ `500000` bytes, instead was `6\d{5}`\.$/,
    );
    const nested = Array.from({ length: 10 }, () =>
      para(
        "p",
        Array.from({ length: 100 }, () => para("c")),
      ),
    );
    const tooMany = await page(db.dataSourceId, { Name: title("x") }, nested);
    assert.equal(tooMany.status, 400);
    assert.equal(
      tooMany.json.message,
      "body failed validation: the request should have ≤ `1000` block elements, instead was `1010`.",
    );
    const thirdLevel = await page(db.dataSourceId, { Name: title("x") }, [
      para("level 1", [para("level 2", [para("level 3")])]),
    ]);
    assert.equal(thirdLevel.status, 400);
    assert.match(
      String(thirdLevel.json.message),
      /^body failed validation: body\.children\[0\]\.paragraph\.children\[0\]\.paragraph\.children should be not present/,
    );
    // Exactly 1,000 elements over two levels: 10 blocks with 99 children each.
    const twoLevels = await page(
      db.dataSourceId,
      { Name: title("x") },
      Array.from({ length: 10 }, () =>
        para(
          "level 1",
          Array.from({ length: 99 }, () => para("level 2")),
        ),
      ),
    );
    assert.equal(twoLevels.status, 200, JSON.stringify(twoLevels.json));
    assert.equal(notion.pages().length, 1);
  });

  it("must refuse commas in select options and unknown status options, and add new select options", async () => {
    const db = notion.addDatabase();
    const comma = await page(db.dataSourceId, {
      Name: title("x"),
      Category: { multi_select: [{ name: "a,b" }] },
    });
    assert.equal(comma.json.message, "Invalid select option, commas not allowed: a,b");
    const status = await page(db.dataSourceId, { Name: title("x"), Status: { status: { name: "Done" } } });
    assert.match(String(status.json.message), /Invalid status option/);
    const ok = await page(db.dataSourceId, { Name: title("x"), Week: { select: { name: "5주차" } } });
    assert.equal(ok.status, 200);
    assert.ok(db.schema.Week!.options!.some((o) => o.name === "5주차"));
  });

  it("must filter and paginate queries, and list a page's blocks", async () => {
    const db = notion.addDatabase({ schema: seedProperties({ withJobId: true }) });
    for (let i = 0; i < 5; i++) {
      await page(
        db.dataSourceId,
        {
          Name: title(`p${i % 2}`),
          Job_ID: { rich_text: [{ type: "text", text: { content: `j${i}` } }] },
          Date: { date: { start: "2024-11-04" } },
        },
        [
          {
            object: "block",
            type: "paragraph",
            paragraph: { rich_text: [{ type: "text", text: { content: `Job ID: j${i}` } }] },
          },
        ],
      );
    }
    const q = (body: unknown) => call("POST", `/v1/data_sources/${db.dataSourceId}/query`, body);
    const byId = await q({ filter: { property: "Job_ID", rich_text: { equals: "j3" } } });
    assert.equal((byId.json.results as unknown[]).length, 1);
    const both = await q({
      filter: {
        and: [
          { property: "Date", date: { equals: "2024-11-04" } },
          { property: "Name", title: { equals: "p0" } },
        ],
      },
      page_size: 2,
    });
    assert.equal((both.json.results as unknown[]).length, 2);
    assert.equal(both.json.has_more, true);
    const rest = await q({
      filter: { property: "Name", title: { equals: "p0" } },
      page_size: 2,
      start_cursor: both.json.next_cursor,
    });
    assert.equal((rest.json.results as unknown[]).length, 1);
    const unknownProp = await q({ filter: { property: "Nope", rich_text: { equals: "x" } } });
    assert.equal(unknownProp.status, 400);
    const id = (byId.json.results as { id: string }[])[0]!.id;
    const blocks = await call("GET", `/v1/blocks/${id}/children?page_size=1`);
    const first = (blocks.json.results as { paragraph: { rich_text: { plain_text: string }[] } }[])[0]!;
    assert.equal(first.paragraph.rich_text[0]!.plain_text, "Job ID: j3");
  });

  it("must rate limit with Retry-After in the N requests/s mode", async () => {
    notion.setRateLimit({ requestsPerSecond: 3, retryAfterSeconds: 2 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await call("GET", "/v1/users/me");
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal(retryAfter, "2");
    assert.deepEqual({ ...notion.stats }, { total: 5, accepted: 3, rateLimited: 2, failed: 0 });
  });

  it("must model the per-connection window: bursts pass, then 429 with Retry-After up to 60 s until there is room", async () => {
    // 3 requests/s averaged over 10 s: a burst of 30 passes, the 31st waits for the oldest to
    // leave the window (about 10 s), and so does every request until then.
    notion.setRateLimit({ requestsPerSecond: 3, windowSeconds: 10 });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await call("GET", "/v1/users/me")).status);
    assert.deepEqual(new Set(statuses), new Set([200]));
    const limited = await call("GET", "/v1/users/me");
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.json.additional_data, { rate_limit_reason: "public_api_request_rate_limit" });
    assert.equal(limited.json.code, "rate_limited");
    assert.equal(limited.headers.get("retry-after"), "10");
    const again = await call("GET", "/v1/users/me");
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers.get("retry-after")) >= 9);
    // A one-minute window gives a one-minute Retry-After.
    notion.setRateLimit({ requestsPerSecond: 1, windowSeconds: 60 });
    for (let i = 0; i < 60; i++) assert.equal((await call("GET", "/v1/users/me")).status, 200);
    assert.equal((await call("GET", "/v1/users/me")).headers.get("retry-after"), "60");
    assert.throws(() => notion.setRateLimit({ requestsPerSecond: 3, windowSeconds: 61 }), RangeError);
  });

  it("must answer an injected per-workspace 429 with its reason and Retry-After", async () => {
    notion.rateLimitNext(1, 120, "public_api_space_request_rate_limit");
    const limited = await call("GET", "/v1/users/me");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "120");
    assert.deepEqual(limited.json.additional_data, {
      rate_limit_reason: "public_api_space_request_rate_limit",
    });
  });

  it("must create a database with its initial data source for notion init", async () => {
    const created = await call("POST", "/v1/databases", {
      parent: { type: "page_id", page_id: "11111111-2222-3333-4444-555555555555" },
      title: [{ type: "text", text: { content: "백업 로그" } }],
      initial_data_source: {
        properties: {
          Name: { title: {} },
          Status: { status: { options: [{ name: "✅ 완료", color: "green" }] } },
          Week: { select: { options: [{ name: "1주차" }] } },
        },
      },
    });
    assert.equal(created.status, 200);
    const [ds] = created.json.data_sources as { id: string }[];
    const schema = await call("GET", `/v1/data_sources/${ds!.id}`);
    const props = schema.json.properties as Record<
      string,
      { type: string; status?: { options: { name: string; color: string }[] } }
    >;
    assert.deepEqual(Object.keys(props), ["Name", "Status", "Week"]);
    assert.deepEqual(
      props.Status!.status!.options.map((o) => [o.name, o.color]),
      [["✅ 완료", "green"]],
    );
    const noTitle = await call("POST", "/v1/databases", {
      parent: { type: "page_id", page_id: "p" },
      initial_data_source: { properties: { A: { rich_text: {} } } },
    });
    assert.equal(noTitle.status, 400);
  });

  it("must inject 5xx failures, optionally after performing the request", async () => {
    const db = notion.addDatabase();
    notion.failNext({ status: 503, method: "POST", path: /\/v1\/pages$/, commit: true });
    const lost = await page(db.dataSourceId, { Name: title("x") });
    assert.equal(lost.status, 503);
    assert.equal(lost.json.code, "service_unavailable");
    assert.equal(notion.pages().length, 1);
    notion.failNext({ status: 500 });
    assert.equal((await call("GET", "/v1/users/me")).status, 500);
    assert.equal((await call("GET", "/v1/users/me")).status, 200);
  });
});
