/**
 * A fake Notion API (version 2025-09-03) on 127.0.0.1, written from developers.notion.com:
 * authentication, request limits, the database / data source split, property value validation.
 * The writer, the doctor, `notion init`, the sandbox and the HTTP service's tests share it.
 *
 * Usage:
 *   const notion = await startFakeNotion();             // random port, token `notion.token`
 *   const db = notion.addDatabase();                   // the seed's schema (title "Name" + 12 props)
 *   env.NOTION_API_BASE_URL = notion.url; env.NOTION_TOKEN = notion.token;
 *   env.NOTION_DATABASE_ID = db.databaseId;            // 32 hex, no dashes
 *   …
 *   notion.pages(db.dataSourceId)                      // pages created (properties as sent, children)
 *   await notion.close();
 *
 * Schema variants: `seedProperties({ titleName, summaryAsTitle, statusAs, withJobId, omit, override })`
 * feeds `addDatabase({ properties })`. `addDatabase({ shared: false })` gives the 404 Notion returns
 * for a database not connected to the integration.
 *
 * Faults (each applies to requests arriving after it is set):
 *   notion.failNext({ status: 500, count: 2, method: "POST", path: /\/v1\/pages$/, commit: true })
 *     — `commit: true` performs the request and then answers with the error (a lost response);
 *   notion.rateLimitNext(count, retryAfterSeconds, reason?) — the next `count` requests get 429
 *     (reason "public_api_space_request_rate_limit" for the per-workspace limit);
 *   notion.setRateLimit({ requestsPerSecond: 3, windowSeconds: 60 }) — the per-connection limit:
 *     an average over a sliding window (bursts up to rps × window pass), then 429 with Retry-After
 *     = the seconds until the window has room (up to the window, so up to 60 s);
 *   notion.latencyMs = 200                             — slow responses;
 *   notion.stats / notion.requests                     — counts and a log of every request.
 *
 * Endpoints: GET /v1/users/me, GET /v1/databases/:id, POST /v1/databases,
 * GET /v1/data_sources/:id, POST /v1/data_sources/:id/query, POST /v1/pages,
 * GET /v1/pages/:id, PATCH /v1/pages/:id (properties), GET /v1/blocks/:id/children,
 * POST /v1/file_uploads (single_part only) and POST /v1/file_uploads/:id/send (multipart/form-data,
 * the file under `file`). Anything else is 400 invalid_request_url. An image block
 * `{ type: "file_upload", file_upload: { id } }` must name an upload that was sent ("uploaded"), as
 * Notion requires before attaching it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export const FAKE_NOTION_VERSION = "2025-09-03";

export type FakePropertyType =
  | "title"
  | "rich_text"
  | "date"
  | "status"
  | "select"
  | "multi_select"
  | "number"
  | "checkbox"
  | "url"
  | "people"
  | "email";

export interface FakeOption {
  name: string;
  color?: string;
}

/** A property's schema as the fake stores it (name → this). */
export interface FakeProperty {
  type: FakePropertyType;
  options?: FakeOption[];
}

export type FakeSchema = Record<string, FakeProperty>;

export interface SeedSchemaOptions {
  /** Name of the title property when Summary is rich_text (the seed's layout); default "Name". */
  titleName?: string;
  /** Make `Summary` itself the title (then there is no separate title property). */
  summaryAsTitle?: boolean;
  /** `status` (default, with the seed's three options) or `select`. */
  statusAs?: "status" | "select";
  /** Add the optional `Job_ID` rich_text property. */
  withJobId?: boolean;
  /** Property names to leave out. */
  omit?: string[];
  /** Replace or add properties. */
  override?: FakeSchema;
}

/** The seed's "백업 로그" schema (section 2.2), with the variations tests need. */
export function seedProperties(options: SeedSchemaOptions = {}): FakeSchema {
  const status: FakeOption[] = [
    { name: "✅ 완료", color: "green" },
    { name: "⚠️ 점검필요", color: "yellow" },
    { name: "❌ 실패", color: "red" },
  ];
  const schema: FakeSchema = {
    ...(options.summaryAsTitle ? {} : { [options.titleName ?? "Name"]: { type: "title" } }),
    Date: { type: "date" },
    Summary: { type: options.summaryAsTitle ? "title" : "rich_text" },
    Status: { type: options.statusAs ?? "status", options: status },
    Category: {
      type: "multi_select",
      options: ["AWS Snapshot", "RDS Dump", "S3 Sync", "Local HDD Backup", "보안 점검"].map((name) => ({
        name,
      })),
    },
    Week: { type: "select", options: ["1주차", "2주차", "3주차", "4주차"].map((name) => ({ name })) },
    System_Health: { type: "select", options: ["정상", "주의", "이상"].map((name) => ({ name })) },
    Backup_Size: { type: "number" },
    DB_Verified: { type: "checkbox" },
    Security_Check: { type: "checkbox" },
    Slack_Log_Link: { type: "url" },
    Report_Link: { type: "url" },
    Improvement: { type: "rich_text" },
    ...(options.withJobId ? { Job_ID: { type: "rich_text" } } : {}),
  };
  const omit = new Set(options.omit ?? []);
  const kept = Object.fromEntries(Object.entries(schema).filter(([name]) => !omit.has(name)));
  return { ...kept, ...options.override };
}

export interface FakeDatabase {
  databaseId: string;
  dataSourceId: string;
  title: string;
  /** Not connected to the integration: every access is 404 object_not_found. */
  shared: boolean;
  schema: FakeSchema;
  parentPageId?: string;
}

/** A page as created: the properties and children exactly as the request sent them. */
export interface FakePage {
  id: string;
  dataSourceId: string;
  createdTime: string;
  properties: Record<string, Record<string, unknown>>;
  children: Record<string, unknown>[];
  /** PATCH /v1/pages/:id requests that changed this page. */
  updates?: number;
}

export interface FakeFault {
  status: number;
  /** Notion error code; defaults by status (500 internal_server_error, 502 bad_gateway, 503 service_unavailable…). */
  code?: string;
  count?: number;
  method?: string;
  path?: RegExp;
  /** Perform the request, then answer with the error (the response was "lost"). */
  commit?: boolean;
  retryAfterSeconds?: number;
  /** For 429: `additional_data.rate_limit_reason`. @default the per-connection reason */
  rateLimitReason?: string;
}

/**
 * Notion's per-connection rate limit (developers.notion.com/reference/request-limits): "an average
 * of three requests per second, with some bursts beyond the average allowed", answered with 429
 * rate_limited, `additional_data.rate_limit_reason` and a Retry-After in whole seconds; "requests
 * made after waiting this minimum amount of time should no longer be rate limited".
 */
export interface FakeRateLimit {
  /** The average allowed per second (Notion: 3). */
  requestsPerSecond: number;
  /** The sliding window the average is taken over, 1 to 60 s. @default 1 */
  windowSeconds?: number;
  /** A fixed Retry-After instead of the seconds until the window has room. */
  retryAfterSeconds?: number;
}

export const RATE_LIMIT_REASON = {
  connection: "public_api_request_rate_limit",
  workspace: "public_api_space_request_rate_limit",
} as const;

export interface FakeRequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
}

export interface FakeNotionOptions {
  token?: string;
  /**
   * Largest single-part upload: 5 MiB in a free workspace (the default), 20 MB in paid ones
   * (https://developers.notion.com/docs/working-with-files-and-media, "Direct Upload ≤ 20MB";
   * free workspaces are limited to 5 MiB per file).
   */
  fileUploadLimitBytes?: number;
  /** Status options given at database creation are kept (default), or dropped as older API versions did. */
  statusOptionsOnCreate?: "keep" | "drop";
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly additionalData?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const RATE_LIMITED_MESSAGE = "You have been rate limited. Please try again in a few minutes.";

function rateLimited(retryAfterSeconds: number | undefined, reason: string): HttpError {
  const headers: Record<string, string> =
    retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) };
  return new HttpError(429, "rate_limited", RATE_LIMITED_MESSAGE, headers, { rate_limit_reason: reason });
}

const validation = (message: string) => new HttpError(400, "validation_error", message);

const DEFAULT_CODES: Record<number, string> = {
  400: "validation_error",
  401: "unauthorized",
  403: "restricted_resource",
  404: "object_not_found",
  409: "conflict_error",
  429: "rate_limited",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
  529: "service_overload",
};

/** developers.notion.com/reference/request-limits, "Size limits". */
export const REQUEST_BYTES_LIMIT = 500_000;
export const BLOCK_ELEMENTS_LIMIT = 1000;
export const NESTING_LIMIT = 2;
export const FREE_WORKSPACE_UPLOAD_BYTES = 5 * 1024 * 1024;

/** A file upload as the fake keeps it (https://developers.notion.com/reference/file-upload). */
export interface FakeFileUpload {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string;
  status: "pending" | "uploaded";
  bytes?: Buffer;
  /** Blocks that reference it. */
  attachedTo: number;
}

/** Every block object in a children array, nested ones included. */
function countBlocks(blocks: readonly unknown[]): number {
  let count = 0;
  for (const block of blocks) {
    count += 1;
    if (isObject(block) && typeof block.type === "string" && isObject(block[block.type])) {
      const nested = (block[block.type] as Record<string, unknown>).children;
      if (Array.isArray(nested)) count += countBlocks(nested);
    }
  }
  return count;
}

function compact(id: string): string {
  return id.replace(/-/g, "").toLowerCase();
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function newId(): string {
  return randomUUID();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function plain(items: unknown): string {
  if (!Array.isArray(items)) return "";
  return items
    .map((item) =>
      isObject(item) && isObject(item.text) && typeof item.text.content === "string" ? item.text.content : "",
    )
    .join("");
}

export class FakeNotionServer {
  readonly token: string;
  /** Base URL for NOTION_API_BASE_URL (no /v1). */
  url = "";
  latencyMs = 0;
  readonly requests: FakeRequestRecord[] = [];
  readonly stats = { total: 0, accepted: 0, rateLimited: 0, failed: 0 };
  readonly databases = new Map<string, FakeDatabase>();
  private readonly pageStore = new Map<string, FakePage>();
  private readonly faults: FakeFault[] = [];
  private rateLimit?: Required<Pick<FakeRateLimit, "requestsPerSecond" | "windowSeconds">> &
    Pick<FakeRateLimit, "retryAfterSeconds">;
  private readonly window: number[] = [];
  private server?: Server;
  private readonly statusOptionsOnCreate: "keep" | "drop";
  readonly fileUploads = new Map<string, FakeFileUpload>();
  private readonly fileUploadLimitBytes: number;

  constructor(options: FakeNotionOptions = {}) {
    this.token = options.token ?? `ntn_${randomBytes(24).toString("hex")}`;
    this.fileUploadLimitBytes = options.fileUploadLimitBytes ?? FREE_WORKSPACE_UPLOAD_BYTES;
    this.statusOptionsOnCreate = options.statusOptionsOnCreate ?? "keep";
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Adds a database with one data source; returns its ids (compact 32-hex database id). */
  addDatabase(init: Partial<Omit<FakeDatabase, "databaseId" | "dataSourceId">> = {}): FakeDatabase {
    const db: FakeDatabase = {
      databaseId: compact(newId()),
      dataSourceId: newId(),
      title: init.title ?? "백업 로그",
      shared: init.shared ?? true,
      schema: structuredClone(init.schema ?? seedProperties()),
      parentPageId: init.parentPageId,
    };
    this.databases.set(db.databaseId, db);
    return db;
  }

  /** Pages created (in creation order), optionally only those of one data source. */
  pages(dataSourceId?: string): FakePage[] {
    const all = [...this.pageStore.values()];
    return dataSourceId ? all.filter((p) => p.dataSourceId === dataSourceId) : all;
  }

  failNext(fault: FakeFault): void {
    this.faults.push({ count: 1, ...fault });
  }

  rateLimitNext(count: number, retryAfterSeconds = 1, reason: string = RATE_LIMIT_REASON.connection): void {
    this.failNext({ status: 429, count, retryAfterSeconds, rateLimitReason: reason });
  }

  /** Enforces the per-connection limit (see FakeRateLimit); undefined turns it off. */
  setRateLimit(limit?: FakeRateLimit): void {
    const windowSeconds = limit?.windowSeconds ?? 1;
    if (limit && !(limit.requestsPerSecond > 0 && windowSeconds >= 1 && windowSeconds <= 60))
      throw new RangeError("setRateLimit: requestsPerSecond > 0 and windowSeconds from 1 to 60");
    this.rateLimit = limit ? { ...limit, windowSeconds } : undefined;
    this.window.length = 0;
  }

  /** Forgets pages, faults, limits and counters (databases stay). */
  reset(): void {
    this.pageStore.clear();
    this.faults.length = 0;
    this.rateLimit = undefined;
    this.window.length = 0;
    this.requests.length = 0;
    this.latencyMs = 0;
    Object.assign(this.stats, { total: 0, accepted: 0, rateLimited: 0, failed: 0 });
  }

  // --- HTTP -------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://fake");
    this.stats.total += 1;
    let status = 200;
    let payload: unknown;
    let headers: Record<string, string> = {};
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      this.checkHeaders(req);
      this.checkRateLimit();
      const fault = this.takeFault(method, url.pathname);
      if (fault && !fault.commit) throw this.faultError(fault);
      const send = method === "POST" ? /^\/v1\/file_uploads\/([^/]+)\/send\/?$/.exec(url.pathname) : null;
      if (send) {
        payload = await this.sendFileUpload(send[1]!, req, Buffer.concat(chunks));
      } else {
        this.checkRequestSize(chunks);
        const body = this.parseBody(chunks, method);
        payload = this.route(method, url, body);
      }
      if (fault) throw this.faultError(fault);
      this.stats.accepted += 1;
    } catch (error) {
      const e =
        error instanceof HttpError
          ? error
          : new HttpError(500, "internal_server_error", "Unexpected error occurred.");
      status = e.status;
      headers = e.headers;
      if (status === 429) this.stats.rateLimited += 1;
      else this.stats.failed += 1;
      payload = {
        object: "error",
        status,
        code: e.code,
        message: e.message,
        request_id: newId(),
        ...(e.additionalData ? { additional_data: e.additionalData } : {}),
      };
    }
    this.requests.push({ at: Date.now(), method, path: url.pathname, status });
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(payload));
  }

  private checkHeaders(req: IncomingMessage): void {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${this.token}`) throw new HttpError(401, "unauthorized", "API token is invalid.");
    const version = req.headers["notion-version"];
    if (typeof version !== "string" || version === "") {
      throw new HttpError(
        400,
        "missing_version",
        "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
      );
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(version)) {
      throw new HttpError(
        400,
        "invalid_request",
        `Notion-Version header failed validation: ${version} is not a valid version.`,
      );
    }
    if (version < FAKE_NOTION_VERSION) {
      throw new HttpError(
        400,
        "invalid_request",
        `This fake serves Notion-Version ${FAKE_NOTION_VERSION} (data sources) only.`,
      );
    }
  }

  private checkRateLimit(): void {
    const limit = this.rateLimit;
    if (!limit) return;
    const now = Date.now();
    const windowMs = limit.windowSeconds * 1000;
    while (this.window.length > 0 && (this.window[0] ?? 0) <= now - windowMs) this.window.shift();
    if (this.window.length >= Math.floor(limit.requestsPerSecond * limit.windowSeconds)) {
      const untilRoom = Math.ceil(((this.window[0] ?? now) + windowMs - now) / 1000);
      throw rateLimited(limit.retryAfterSeconds ?? Math.max(1, untilRoom), RATE_LIMIT_REASON.connection);
    }
    this.window.push(now);
  }

  private takeFault(method: string, path: string): FakeFault | undefined {
    const index = this.faults.findIndex(
      (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || f.path.test(path)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.count = (fault.count ?? 1) - 1;
    if (fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private faultError(fault: FakeFault): HttpError {
    if (fault.status === 429)
      return rateLimited(fault.retryAfterSeconds, fault.rateLimitReason ?? RATE_LIMIT_REASON.connection);
    const code = fault.code ?? DEFAULT_CODES[fault.status] ?? "internal_server_error";
    const headers: Record<string, string> =
      fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
    return new HttpError(fault.status, code, "Unexpected error occurred.", headers);
  }

  /**
   * developers.notion.com/reference/request-limits: "the maximum size of any payload is 1000 block
   * elements and 500KB overall", answered like every size limit with 400 validation_error. KB is
   * taken as 1,000 bytes, the stricter reading. The message text of this one is not documented;
   * it follows the shape of Notion's other body validation messages.
   */
  private checkRequestSize(chunks: Buffer[]): void {
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (bytes > REQUEST_BYTES_LIMIT) {
      throw validation(
        `body failed validation: the request body should be ≤ \`${REQUEST_BYTES_LIMIT}\` bytes, instead was \`${bytes}\`.`,
      );
    }
  }

  private parseBody(chunks: Buffer[], method: string): Record<string, unknown> {
    if (method === "GET" || chunks.length === 0) return {};
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new HttpError(400, "invalid_json", "Error parsing JSON body.");
    }
    if (!isObject(body)) throw validation("body failed validation: body should be an object.");
    return body;
  }

  private route(method: string, url: URL, body: Record<string, unknown>): unknown {
    const path = url.pathname.replace(/\/+$/, "");
    let m: RegExpExecArray | null;
    if (method === "GET" && path === "/v1/users/me") return this.me();
    if (method === "POST" && path === "/v1/databases") return this.createDatabase(body);
    if (method === "GET" && (m = /^\/v1\/databases\/([^/]+)$/.exec(path)))
      return this.databaseObject(this.database(m[1]!));
    if (method === "GET" && (m = /^\/v1\/data_sources\/([^/]+)$/.exec(path)))
      return this.dataSourceObject(this.dataSource(m[1]!));
    if (method === "POST" && (m = /^\/v1\/data_sources\/([^/]+)\/query$/.exec(path)))
      return this.query(this.dataSource(m[1]!), body);
    if (method === "POST" && path === "/v1/pages") return this.createPage(body);
    if (method === "POST" && path === "/v1/file_uploads") return this.createFileUpload(body);
    if (method === "GET" && (m = /^\/v1\/pages\/([^/]+)$/.exec(path)))
      return this.pageObject(this.page(m[1]!));
    if (method === "PATCH" && (m = /^\/v1\/pages\/([^/]+)$/.exec(path)))
      return this.updatePage(this.page(m[1]!), body);
    if (method === "GET" && (m = /^\/v1\/blocks\/([^/]+)\/children$/.exec(path)))
      return this.children(this.page(m[1]!), url);
    throw new HttpError(400, "invalid_request_url", "Invalid request URL.");
  }

  // --- objects ----------------------------------------------------------------------------

  private me(): unknown {
    return {
      object: "user",
      id: "7c3a3f7e-0000-4000-8000-000000000001",
      name: "DROX DevOps Backup",
      avatar_url: null,
      type: "bot",
      bot: { owner: { type: "workspace", workspace: true }, workspace_name: "DROX" },
    };
  }

  private database(id: string): FakeDatabase {
    const db = this.databases.get(compact(id));
    if (!db || !db.shared) {
      throw new HttpError(
        404,
        "object_not_found",
        `Could not find database with ID: ${dashed(compact(id))}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    }
    return db;
  }

  private dataSource(id: string): FakeDatabase {
    for (const db of this.databases.values()) if (db.dataSourceId === id && db.shared) return db;
    throw new HttpError(
      404,
      "object_not_found",
      `Could not find data_source with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
    );
  }

  private page(id: string): FakePage {
    const page = this.pageStore.get(compact(id));
    if (!page || !this.dataSourceShared(page.dataSourceId)) {
      throw new HttpError(
        404,
        "object_not_found",
        `Could not find block with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    }
    return page;
  }

  private dataSourceShared(id: string): boolean {
    for (const db of this.databases.values()) if (db.dataSourceId === id) return db.shared;
    return false;
  }

  private richTitle(text: string): unknown[] {
    return [{ type: "text", text: { content: text, link: null }, plain_text: text, href: null }];
  }

  private databaseObject(db: FakeDatabase): unknown {
    return {
      object: "database",
      id: dashed(db.databaseId),
      title: this.richTitle(db.title),
      description: [],
      parent: db.parentPageId
        ? { type: "page_id", page_id: db.parentPageId }
        : { type: "workspace", workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      is_locked: false,
      created_time: new Date(0).toISOString(),
      last_edited_time: new Date(0).toISOString(),
      data_sources: [{ id: db.dataSourceId, name: db.title }],
      icon: null,
      cover: null,
      url: `https://www.notion.so/${db.databaseId}`,
      public_url: null,
    };
  }

  private propertyConfig(name: string, prop: FakeProperty): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    if (prop.type === "select" || prop.type === "multi_select" || prop.type === "status") {
      config.options = (prop.options ?? []).map((o) => ({
        id: o.name,
        name: o.name,
        color: o.color ?? "default",
        description: null,
      }));
      if (prop.type === "status") config.groups = [];
    }
    if (prop.type === "number") config.format = "number";
    return {
      id: prop.type === "title" ? "title" : encodeURIComponent(name).slice(0, 8),
      name,
      description: null,
      type: prop.type,
      [prop.type]: config,
    };
  }

  private dataSourceObject(db: FakeDatabase): unknown {
    return {
      object: "data_source",
      id: db.dataSourceId,
      title: this.richTitle(db.title),
      description: [],
      parent: { type: "database_id", database_id: dashed(db.databaseId) },
      database_parent: db.parentPageId
        ? { type: "page_id", page_id: db.parentPageId }
        : { type: "workspace", workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      created_time: new Date(0).toISOString(),
      last_edited_time: new Date(0).toISOString(),
      created_by: { object: "user", id: "7c3a3f7e-0000-4000-8000-000000000001" },
      last_edited_by: { object: "user", id: "7c3a3f7e-0000-4000-8000-000000000001" },
      properties: Object.fromEntries(
        Object.entries(db.schema).map(([name, p]) => [name, this.propertyConfig(name, p)]),
      ),
      icon: null,
      cover: null,
      url: `https://www.notion.so/${db.databaseId}`,
      public_url: null,
    };
  }

  private pageObject(page: FakePage): unknown {
    const db = this.dataSource(page.dataSourceId);
    const properties: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(db.schema)) {
      const sent = page.properties[name];
      properties[name] = {
        id: name,
        type: prop.type,
        [prop.type]: sent ? sent[prop.type] : this.emptyValue(prop.type),
      };
    }
    return {
      object: "page",
      id: page.id,
      created_time: page.createdTime,
      last_edited_time: page.createdTime,
      in_trash: false,
      archived: false,
      is_archived: false,
      is_locked: false,
      url: `https://www.notion.so/${compact(page.id)}`,
      public_url: null,
      parent: {
        type: "data_source_id",
        data_source_id: page.dataSourceId,
        database_id: dashed(db.databaseId),
      },
      properties,
      icon: null,
      cover: null,
      created_by: { object: "user", id: "7c3a3f7e-0000-4000-8000-000000000001" },
      last_edited_by: { object: "user", id: "7c3a3f7e-0000-4000-8000-000000000001" },
    };
  }

  private emptyValue(type: FakePropertyType): unknown {
    switch (type) {
      case "title":
      case "rich_text":
      case "multi_select":
      case "people":
        return [];
      case "checkbox":
        return false;
      default:
        return null;
    }
  }

  // --- databases --------------------------------------------------------------------------

  private createDatabase(body: Record<string, unknown>): unknown {
    const parent = body.parent;
    if (!isObject(parent) || parent.type !== "page_id" || typeof parent.page_id !== "string") {
      throw validation(
        "body failed validation: body.parent.page_id should be defined, instead was `undefined`.",
      );
    }
    const initial = isObject(body.initial_data_source) ? body.initial_data_source : {};
    const props = isObject(initial.properties) ? initial.properties : {};
    const schema: FakeSchema = {};
    for (const [name, config] of Object.entries(props)) {
      if (!isObject(config))
        throw validation(
          `body failed validation: body.initial_data_source.properties.${name} should be an object.`,
        );
      const type = (
        [
          "title",
          "rich_text",
          "date",
          "status",
          "select",
          "multi_select",
          "number",
          "checkbox",
          "url",
          "people",
          "email",
        ] as const
      ).find((t) => t in config);
      if (!type)
        throw validation(
          `body failed validation: body.initial_data_source.properties.${name} has no property type.`,
        );
      const inner = isObject(config[type]) ? (config[type] as Record<string, unknown>) : {};
      let options = Array.isArray(inner.options)
        ? inner.options
            .filter(isObject)
            .map((o) => ({ name: String(o.name), color: typeof o.color === "string" ? o.color : undefined }))
        : undefined;
      for (const option of options ?? []) {
        if (option.name.includes(","))
          throw validation(`Invalid select option, commas not allowed: ${option.name}`);
      }
      if (type === "status" && (this.statusOptionsOnCreate === "drop" || !options)) {
        options = [
          { name: "Not started", color: "default" },
          { name: "In progress", color: "blue" },
          { name: "Done", color: "green" },
        ];
      }
      schema[name] = options ? { type, options } : { type };
    }
    if (Object.values(schema).filter((p) => p.type === "title").length !== 1) {
      throw validation("Databases must have exactly one title property.");
    }
    const db = this.addDatabase({
      title: plain(body.title) || "Untitled",
      schema,
      parentPageId: parent.page_id,
    });
    return this.databaseObject(db);
  }

  // --- query --------------------------------------------------------------------------------

  private query(db: FakeDatabase, body: Record<string, unknown>): unknown {
    const pageSize = body.page_size ?? 100;
    if (typeof pageSize !== "number" || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw validation(
        `body failed validation: body.page_size should be ≤ \`100\`, instead was \`${show(pageSize)}\`.`,
      );
    }
    const start =
      body.start_cursor === undefined || body.start_cursor === null ? 0 : Number(body.start_cursor);
    if (!Number.isInteger(start) || start < 0)
      throw validation("body failed validation: body.start_cursor should be a valid cursor.");
    const matches = this.pages(db.dataSourceId)
      .reverse() // newest first, like Notion's default order for an unsorted query
      .filter((page) => (body.filter === undefined ? true : this.matches(db, page, body.filter)));
    const slice = matches.slice(start, start + pageSize);
    const next = start + pageSize < matches.length ? String(start + pageSize) : null;
    return {
      object: "list",
      results: slice.map((p) => this.pageObject(p)),
      next_cursor: next,
      has_more: next !== null,
      type: "page_or_data_source",
      page_or_data_source: {},
    };
  }

  private matches(db: FakeDatabase, page: FakePage, filter: unknown): boolean {
    if (!isObject(filter)) throw validation("body failed validation: body.filter should be an object.");
    if (Array.isArray(filter.and)) return filter.and.every((f) => this.matches(db, page, f));
    if (Array.isArray(filter.or)) return filter.or.some((f) => this.matches(db, page, f));
    const name = filter.property;
    if (typeof name !== "string")
      throw validation("body failed validation: body.filter.property should be defined.");
    const prop = db.schema[name];
    if (!prop) throw validation(`Could not find property with name or id: ${name}`);
    const condition = filter[prop.type];
    if (!isObject(condition)) {
      throw validation(
        `body failed validation: body.filter.${prop.type} should be defined, instead was \`undefined\`.`,
      );
    }
    const value = page.properties[name]?.[prop.type];
    switch (prop.type) {
      case "title":
      case "rich_text": {
        const text = plain(value);
        if (typeof condition.equals === "string") return text === condition.equals;
        if (typeof condition.contains === "string") return text.includes(condition.contains);
        if (condition.is_empty === true) return text === "";
        break;
      }
      case "date": {
        const startText =
          isObject(value) && typeof value.start === "string" ? value.start.slice(0, 10) : undefined;
        if (typeof condition.equals === "string") return startText === condition.equals.slice(0, 10);
        if (condition.is_empty === true) return startText === undefined;
        break;
      }
      case "select":
      case "status": {
        const option = isObject(value) ? value.name : undefined;
        if (typeof condition.equals === "string") return option === condition.equals;
        break;
      }
      case "checkbox":
        if (typeof condition.equals === "boolean") return (value ?? false) === condition.equals;
        break;
      case "number":
        if (typeof condition.equals === "number") return value === condition.equals;
        break;
      default:
        break;
    }
    throw validation(`The fake does not support this ${prop.type} filter: ${show(condition)}`);
  }

  // --- pages --------------------------------------------------------------------------------

  private createPage(body: Record<string, unknown>): unknown {
    const parent = body.parent;
    if (!isObject(parent))
      throw validation("body failed validation: body.parent should be defined, instead was `undefined`.");
    let db: FakeDatabase;
    if (typeof parent.data_source_id === "string") db = this.dataSource(parent.data_source_id);
    else if (typeof parent.database_id === "string") db = this.database(parent.database_id);
    else
      throw validation(
        "body failed validation: body.parent.data_source_id should be defined, instead was `undefined`.",
      );
    const properties = isObject(body.properties) ? body.properties : {};
    const accepted: Record<string, Record<string, unknown>> = {};
    for (const [name, value] of Object.entries(properties)) {
      accepted[name] = this.validateProperty(db, name, value);
    }
    const children = body.children ?? [];
    if (!Array.isArray(children))
      throw validation("body failed validation: body.children should be an array.");
    if (children.length > 100) {
      throw validation(
        `body failed validation: body.children.length should be ≤ \`100\`, instead was \`${children.length}\`.`,
      );
    }
    children.forEach((block, i) => this.validateBlock(block, `body.children[${i}]`, 1));
    const elements = countBlocks(children);
    if (elements > BLOCK_ELEMENTS_LIMIT) {
      throw validation(
        `body failed validation: the request should have ≤ \`${BLOCK_ELEMENTS_LIMIT}\` block elements, instead was \`${elements}\`.`,
      );
    }
    const page: FakePage = {
      id: newId(),
      dataSourceId: db.dataSourceId,
      createdTime: new Date().toISOString(),
      properties: accepted,
      children: structuredClone(children as Record<string, unknown>[]),
    };
    this.pageStore.set(compact(page.id), page);
    return this.pageObject(page);
  }

  /**
   * PATCH /v1/pages/:id (https://developers.notion.com/reference/patch-page): the properties sent
   * replace those of the same name, validated as on create; the others are kept.
   */
  private updatePage(page: FakePage, body: Record<string, unknown>): unknown {
    const db = this.dataSource(page.dataSourceId);
    const properties = isObject(body.properties) ? body.properties : {};
    for (const [name, value] of Object.entries(properties)) {
      page.properties[name] = this.validateProperty(db, name, value);
    }
    page.updates = (page.updates ?? 0) + 1;
    return this.pageObject(page);
  }

  private validateRichText(items: unknown, path: string): void {
    if (!Array.isArray(items))
      throw validation(`body failed validation: ${path} should be an array, instead was \`${show(items)}\`.`);
    if (items.length > 100) {
      throw validation(
        `body failed validation: ${path}.length should be ≤ \`100\`, instead was \`${items.length}\`.`,
      );
    }
    items.forEach((item, i) => {
      if (!isObject(item) || !isObject(item.text) || typeof item.text.content !== "string") {
        throw validation(
          `body failed validation: ${path}[${i}].text.content should be defined, instead was \`undefined\`.`,
        );
      }
      const length = item.text.content.length;
      if (length > 2000) {
        throw validation(
          `body failed validation: ${path}[${i}].text.content.length should be ≤ \`2000\`, instead was \`${length}\`.`,
        );
      }
    });
  }

  private validateOption(name: string, prop: FakeProperty, option: unknown, path: string): void {
    if (!isObject(option) || typeof option.name !== "string") {
      throw validation(`body failed validation: ${path}.name should be defined, instead was \`undefined\`.`);
    }
    if (option.name.length > 100) {
      throw validation(
        `body failed validation: ${path}.name.length should be ≤ \`100\`, instead was \`${option.name.length}\`.`,
      );
    }
    if (option.name.includes(","))
      throw validation(`Invalid select option, commas not allowed: ${option.name}`);
    const options = (prop.options ??= []);
    if (options.some((o) => o.name === option.name)) return;
    // Notion creates missing select options on the fly, but a status option must exist.
    if (prop.type === "status") {
      throw validation(
        `Invalid status option. Status option "${option.name}" does not exist for property "${name}".`,
      );
    }
    options.push({ name: option.name, color: "default" });
  }

  private validateProperty(db: FakeDatabase, name: string, value: unknown): Record<string, unknown> {
    const prop = db.schema[name];
    if (!prop) throw validation(`${name} is not a property that exists.`);
    if (!isObject(value) || !(prop.type in value))
      throw validation(`${name} is expected to be ${prop.type}.`);
    const v = value[prop.type];
    const path = `body.properties.${name}.${prop.type}`;
    switch (prop.type) {
      case "title":
      case "rich_text":
        this.validateRichText(v, path);
        break;
      case "number":
        if (v !== null && (typeof v !== "number" || !Number.isFinite(v))) {
          throw validation(
            `body failed validation: ${path} should be a number or \`null\`, instead was \`${show(v)}\`.`,
          );
        }
        break;
      case "checkbox":
        if (typeof v !== "boolean")
          throw validation(
            `body failed validation: ${path} should be a boolean, instead was \`${show(v)}\`.`,
          );
        break;
      case "url":
        if (v !== null && typeof v !== "string")
          throw validation(
            `body failed validation: ${path} should be a string or \`null\`, instead was \`${show(v)}\`.`,
          );
        if (typeof v === "string" && v.length > 2000) {
          throw validation(
            `body failed validation: ${path}.length should be ≤ \`2000\`, instead was \`${v.length}\`.`,
          );
        }
        break;
      case "date":
        if (v !== null) {
          if (!isObject(v) || typeof v.start !== "string" || Number.isNaN(Date.parse(v.start))) {
            throw validation(
              `body failed validation: ${path}.start should be a valid ISO 8601 date string, instead was \`${show(isObject(v) ? v.start : v)}\`.`,
            );
          }
        }
        break;
      case "select":
      case "status":
        if (v !== null) this.validateOption(name, prop, v, path);
        break;
      case "multi_select":
        if (!Array.isArray(v))
          throw validation(`body failed validation: ${path} should be an array, instead was \`${show(v)}\`.`);
        if (v.length > 100)
          throw validation(
            `body failed validation: ${path}.length should be ≤ \`100\`, instead was \`${v.length}\`.`,
          );
        v.forEach((option, i) => this.validateOption(name, prop, option, `${path}[${i}]`));
        break;
      default:
        throw validation(`The fake does not accept ${prop.type} values.`);
    }
    return structuredClone(value);
  }

  // --- file uploads -----------------------------------------------------------------------

  private fileUploadObject(upload: FakeFileUpload): Record<string, unknown> {
    return {
      object: "file_upload",
      id: upload.id,
      status: upload.status,
      filename: upload.filename,
      content_type: upload.contentType,
      content_length: upload.bytes?.length ?? null,
      upload_url: upload.status === "pending" ? `${this.url}/v1/file_uploads/${upload.id}/send` : undefined,
    };
  }

  private createFileUpload(body: Record<string, unknown>): unknown {
    const mode = body.mode ?? "single_part";
    if (mode !== "single_part")
      throw validation(
        `body failed validation: the fake serves mode "single_part" only, got \`${show(mode)}\`.`,
      );
    const filename = typeof body.filename === "string" ? body.filename : "file";
    // https://developers.notion.com/reference/create-a-file-upload: at most 900 bytes.
    if (Buffer.byteLength(filename) > 900)
      throw validation("body failed validation: body.filename.length should be ≤ `900` bytes.");
    const upload: FakeFileUpload = {
      id: newId(),
      filename,
      contentType: typeof body.content_type === "string" ? body.content_type : "application/octet-stream",
      status: "pending",
      attachedTo: 0,
    };
    this.fileUploads.set(upload.id, upload);
    return this.fileUploadObject(upload);
  }

  /** https://developers.notion.com/reference/upload-file: multipart/form-data, the file under `file`. */
  private async sendFileUpload(id: string, req: IncomingMessage, raw: Buffer): Promise<unknown> {
    const upload = this.fileUploads.get(id);
    if (!upload) throw new HttpError(404, "object_not_found", `Could not find file_upload with ID: ${id}.`);
    if (upload.status !== "pending")
      throw validation(`File upload ${id} is ${upload.status}; only a pending upload can be sent.`);
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("multipart/form-data"))
      throw validation("Content-Type must be multipart/form-data for this endpoint.");
    const form = await new Response(new Uint8Array(raw), { headers: { "content-type": type } }).formData();
    const file = form.get("file");
    if (!(file instanceof Blob)) throw validation("body failed validation: body.file should be defined.");
    if (file.size > this.fileUploadLimitBytes)
      throw validation(
        `The file is ${file.size} bytes; the workspace's limit is ${this.fileUploadLimitBytes} bytes per file.`,
      );
    upload.bytes = Buffer.from(await file.arrayBuffer());
    upload.status = "uploaded";
    return this.fileUploadObject(upload);
  }

  /** `depth` 1 is a child of the page; Notion takes two levels of nesting in one request. */
  private validateBlock(block: unknown, path: string, depth: number): void {
    if (!isObject(block) || typeof block.type !== "string" || !isObject(block[block.type])) {
      throw validation(`body failed validation: ${path} should be a block object.`);
    }
    const content = block[block.type] as Record<string, unknown>;
    if ("rich_text" in content) this.validateRichText(content.rich_text, `${path}.${block.type}.rich_text`);
    if (block.type === "image" && content.type === "file_upload") {
      const ref = content.file_upload;
      const id = isObject(ref) && typeof ref.id === "string" ? ref.id : "";
      const upload = this.fileUploads.get(id);
      if (!upload || upload.status !== "uploaded")
        throw validation(
          `body failed validation: ${path}.image.file_upload.id ${id ? `${id} is not an uploaded file upload` : "should be defined"}.`,
        );
      upload.attachedTo += 1;
    }
    if (content.children !== undefined && depth >= NESTING_LIMIT) {
      throw validation(
        `body failed validation: ${path}.${block.type}.children should be not present, instead was \`${show(content.children)}\`.`,
      );
    }
    if (Array.isArray(content.children)) {
      if (content.children.length > 100) {
        throw validation(
          `body failed validation: ${path}.${block.type}.children.length should be ≤ \`100\`, instead was \`${content.children.length}\`.`,
        );
      }
      content.children.forEach((child, i) =>
        this.validateBlock(child, `${path}.${block.type}.children[${i}]`, depth + 1),
      );
    }
  }

  private children(page: FakePage, url: URL): unknown {
    const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get("page_size") ?? 100)));
    const start = Number(url.searchParams.get("start_cursor") ?? 0) || 0;
    const blocks = page.children.map((block, i) => {
      const type = String(block.type);
      const content = isObject(block[type]) ? (block[type] as Record<string, unknown>) : {};
      const rich = Array.isArray(content.rich_text)
        ? content.rich_text.map((item) => ({
            ...(item as object),
            plain_text: plain([item]),
            href: null,
            annotations: {},
          }))
        : undefined;
      return {
        object: "block",
        id: dashed(`${compact(page.id).slice(0, 24)}${String(i).padStart(8, "0")}`),
        parent: { type: "page_id", page_id: page.id },
        type,
        has_children: false,
        in_trash: false,
        archived: false,
        created_time: page.createdTime,
        last_edited_time: page.createdTime,
        [type]: rich ? { ...content, rich_text: rich } : content,
      };
    });
    const slice = blocks.slice(start, start + pageSize);
    const next = start + pageSize < blocks.length ? String(start + pageSize) : null;
    return {
      object: "list",
      results: slice,
      next_cursor: next,
      has_more: next !== null,
      type: "block",
      block: {},
    };
  }
}

/** Starts a fake on 127.0.0.1 with a random port. */
export async function startFakeNotion(options: FakeNotionOptions = {}): Promise<FakeNotionServer> {
  return new FakeNotionServer(options).listen();
}
