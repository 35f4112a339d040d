/**
 * What `notion init` needs beyond test/fakes/notion-server.ts, as a loopback proxy in front of it
 * (the fake itself is left as it is): Notion's views API (POST /v1/views, GET /v1/views,
 * GET and PATCH /v1/views/:id) and PATCH /v1/data_sources/:id for removing and adding properties —
 * per developers.notion.com (API 2025-09-03). Every other request is forwarded to the fake.
 *
 *   const notion = await startFakeNotion();
 *   const proxy = await NotionViewsProxy.start(notion);   // env.NOTION_API_BASE_URL = proxy.url
 *   … proxy.views (every view, bodies as sent), proxy.created / proxy.updated (view ids) …
 *   await proxy.close();
 *
 * Like Notion, a database created through the proxy comes with one table view (its name is not
 * documented; "Default view" here). Validation as Notion does it: the database must exist and be
 * shared, `data_source_id` must be its data source, filter and sort properties must exist with
 * the filter keyed by their type, configuration property ids must exist, a calendar needs a date
 * property, an update cannot change a view's type. A status property's options cannot be changed
 * through PATCH (developers.notion.com/reference/update-data-source-properties, "Limitations");
 * `{ statusOptionsUpdatable: true }` models an API that takes them.
 */
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeDatabase, FakeNotionServer, FakeProperty } from "../fakes/notion-server";

export interface FakeView {
  readonly id: string;
  readonly databaseId: string;
  body: Record<string, unknown>;
}

export interface NotionViewsProxyOptions {
  /** Accept status options in PATCH /v1/data_sources/:id (Notion documents that it refuses them). */
  readonly statusOptionsUpdatable?: boolean;
}

export const DEFAULT_VIEW_NAME = "Default view";

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const VIEW_TYPES = ["table", "board", "list", "calendar", "timeline", "gallery", "form", "chart", "map"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compact(id: string): string {
  return id.replace(/-/g, "").toLowerCase();
}

export class NotionViewsProxy {
  url = "";
  readonly views: FakeView[] = [];
  /** Ids of views made by POST /v1/views and changed by PATCH /v1/views/:id, in order. */
  readonly created: string[] = [];
  readonly updated: string[] = [];
  /** PATCH /v1/data_sources bodies applied, in order. */
  readonly patches: Record<string, unknown>[] = [];
  private server?: Server;

  private constructor(
    private readonly fake: FakeNotionServer,
    private readonly options: NotionViewsProxyOptions,
  ) {}

  static async start(
    fake: FakeNotionServer,
    options: NotionViewsProxyOptions = {},
  ): Promise<NotionViewsProxy> {
    const proxy = new NotionViewsProxy(fake, options);
    const server = createServer((req, res) => void proxy.handle(req, res));
    proxy.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return proxy;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://proxy");
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "");
    const viewId = /^\/v1\/views\/([^/]+)$/.exec(path)?.[1];
    const ours =
      (path === "/v1/views" && (method === "POST" || method === "GET")) ||
      (viewId !== undefined && (method === "GET" || method === "PATCH")) ||
      (method === "PATCH" && /^\/v1\/data_sources\/[^/]+$/.test(path));
    if (!ours) {
      await this.forward(req, res, raw);
      return;
    }
    try {
      if (req.headers.authorization !== `Bearer ${this.fake.token}`)
        throw new ApiError(401, "unauthorized", "API token is invalid.");
      const body = raw ? (JSON.parse(raw) as unknown) : {};
      if (!isObject(body)) throw new ApiError(400, "validation_error", "body should be an object.");
      const payload =
        viewId !== undefined
          ? method === "PATCH"
            ? this.updateView(viewId, body)
            : this.viewObject(this.view(viewId))
          : method === "PATCH"
            ? this.patch(path.split("/").pop() ?? "", body)
            : method === "POST"
              ? this.createView(body)
              : this.listViews(url.searchParams.get("database_id") ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    } catch (error) {
      const e =
        error instanceof ApiError ? error : new ApiError(400, "invalid_json", "Error parsing JSON body.");
      res.writeHead(e.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "error", status: e.status, code: e.code, message: e.message }));
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
    }
    const upstream = await fetch(`${this.fake.url}${req.url ?? "/"}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const text = await upstream.text();
    if (req.method === "POST" && (req.url ?? "").replace(/\?.*$/, "") === "/v1/databases" && upstream.ok) {
      const created = JSON.parse(text) as { id: string };
      const id = randomUUID();
      this.views.push({
        id,
        databaseId: compact(created.id),
        body: { name: DEFAULT_VIEW_NAME, type: "table" },
      });
    }
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
    });
    res.end(text);
  }

  private db(databaseId: string): FakeDatabase {
    const db = this.fake.databases.get(compact(databaseId));
    if (!db || !db.shared) {
      throw new ApiError(404, "object_not_found", `Could not find database with ID: ${databaseId}.`);
    }
    return db;
  }

  /** Property ids as the fake reports them in GET /v1/data_sources/:id. */
  private propertyId(name: string, prop: FakeProperty): string {
    return prop.type === "title" ? "title" : encodeURIComponent(name).slice(0, 8);
  }

  private propertyById(db: FakeDatabase, id: string): [string, FakeProperty] | undefined {
    return Object.entries(db.schema).find(([name, p]) => this.propertyId(name, p) === id);
  }

  private checkFilter(db: FakeDatabase, filter: unknown): void {
    if (!isObject(filter)) throw new ApiError(400, "validation_error", "body.filter should be an object.");
    for (const key of ["and", "or"]) {
      if (Array.isArray(filter[key])) {
        for (const f of filter[key] as unknown[]) this.checkFilter(db, f);
        return;
      }
    }
    const name = filter.property;
    const prop = typeof name === "string" ? db.schema[name] : undefined;
    if (!prop)
      throw new ApiError(400, "validation_error", `Could not find property with name or id: ${String(name)}`);
    if (!isObject(filter[prop.type])) {
      throw new ApiError(
        400,
        "validation_error",
        `body.filter.${prop.type} should be defined, instead was \`undefined\`.`,
      );
    }
  }

  private createView(body: Record<string, unknown>): unknown {
    const places = ["database_id", "view_id", "create_database"].filter((k) => body[k] !== undefined);
    if (places.length !== 1) {
      throw new ApiError(
        400,
        "validation_error",
        "Provide exactly one of database_id, view_id or create_database.",
      );
    }
    const db = this.db(String(body.database_id));
    if (body.data_source_id !== db.dataSourceId) {
      throw new ApiError(
        404,
        "object_not_found",
        `Could not find data_source with ID: ${String(body.data_source_id)}.`,
      );
    }
    if (typeof body.name !== "string" || body.name === "")
      throw new ApiError(400, "validation_error", "body.name should be defined, instead was `undefined`.");
    if (typeof body.type !== "string" || !VIEW_TYPES.includes(body.type))
      throw new ApiError(400, "validation_error", `body.type should be one of ${VIEW_TYPES.join(", ")}.`);
    this.checkView(db, body, body.type);
    const view: FakeView = { id: randomUUID(), databaseId: db.databaseId, body: structuredClone(body) };
    this.views.push(view);
    this.created.push(view.id);
    return this.viewObject(view);
  }

  private view(id: string): FakeView {
    const view = this.views.find((v) => compact(v.id) === compact(id));
    if (!view) throw new ApiError(404, "object_not_found", `Could not find view with ID: ${id}.`);
    this.db(view.databaseId);
    return view;
  }

  /** PATCH /v1/views/:id: name, filter, sorts, configuration; the type stays. */
  private updateView(id: string, body: Record<string, unknown>): unknown {
    const view = this.view(id);
    const type = String(view.body.type);
    if (body.type !== undefined && body.type !== type)
      throw new ApiError(400, "validation_error", "body.type is not an updatable field.");
    if (body.name !== undefined && (typeof body.name !== "string" || body.name === ""))
      throw new ApiError(400, "validation_error", "body.name should be a non-empty string.");
    const changes = Object.fromEntries(
      Object.entries(body).filter(
        ([k, v]) => v !== null && ["name", "filter", "sorts", "configuration"].includes(k),
      ),
    );
    this.checkView(this.db(view.databaseId), changes, type);
    // null clears a filter or the sorts.
    const cleared = new Set(["filter", "sorts"].filter((key) => body[key] === null));
    view.body = Object.fromEntries(
      Object.entries({ ...view.body, ...structuredClone(changes) }).filter(([key]) => !cleared.has(key)),
    );
    this.updated.push(view.id);
    return this.viewObject(view);
  }

  private checkView(db: FakeDatabase, body: Record<string, unknown>, type: string): void {
    if (body.filter !== undefined) this.checkFilter(db, body.filter);
    if (body.sorts !== undefined) {
      if (!Array.isArray(body.sorts))
        throw new ApiError(400, "validation_error", "body.sorts should be an array.");
      for (const sort of body.sorts) {
        if (!isObject(sort) || typeof sort.property !== "string" || !db.schema[sort.property])
          throw new ApiError(
            400,
            "validation_error",
            `Could not find sort property: ${JSON.stringify(sort)}`,
          );
      }
    }
    const config = body.configuration;
    if (config !== undefined) {
      if (!isObject(config) || config.type !== type)
        throw new ApiError(400, "validation_error", "body.configuration.type should match body.type.");
      const ids: unknown[] = [];
      if (Array.isArray(config.properties))
        for (const p of config.properties) ids.push(isObject(p) ? p.property_id : undefined);
      if (isObject(config.group_by)) ids.push(config.group_by.property_id);
      if (config.date_property_id !== undefined) ids.push(config.date_property_id);
      for (const id of ids) {
        if (typeof id !== "string" || !this.propertyById(db, id))
          throw new ApiError(400, "validation_error", `Could not find property with id: ${String(id)}`);
      }
      if (isObject(config.group_by)) {
        const [, prop] = this.propertyById(db, String(config.group_by.property_id)) ?? [];
        if (prop?.type !== config.group_by.type)
          throw new ApiError(
            400,
            "validation_error",
            "body.configuration.group_by.type does not match the property.",
          );
      }
      if (type === "calendar") {
        const [, prop] = this.propertyById(db, String(config.date_property_id)) ?? [];
        if (prop?.type !== "date")
          throw new ApiError(400, "validation_error", "A calendar view needs a date property.");
      }
    }
  }

  private viewObject(view: FakeView): unknown {
    const db = this.db(view.databaseId);
    const { body } = view;
    return {
      object: "view",
      id: view.id,
      parent: { type: "database_id", database_id: db.databaseId },
      data_source_id: db.dataSourceId,
      name: body.name,
      type: body.type,
      filter: body.filter ?? null,
      sorts: body.sorts ?? null,
      configuration: body.configuration ?? null,
      created_time: new Date().toISOString(),
      last_edited_time: new Date().toISOString(),
      url: `https://www.notion.so/${db.databaseId}?v=${compact(view.id)}`,
    };
  }

  private listViews(databaseId: string): unknown {
    const db = this.db(databaseId);
    return {
      object: "list",
      results: this.views
        .filter((v) => v.databaseId === db.databaseId)
        .map((v) => ({ object: "view", id: v.id })),
      next_cursor: null,
      has_more: false,
      type: "view",
      view: {},
    };
  }

  private patch(dataSourceId: string, body: Record<string, unknown>): unknown {
    const db = [...this.fake.databases.values()].find((d) => d.dataSourceId === dataSourceId && d.shared);
    if (!db)
      throw new ApiError(404, "object_not_found", `Could not find data_source with ID: ${dataSourceId}.`);
    const properties = isObject(body.properties) ? body.properties : {};
    for (const [name, change] of Object.entries(properties)) {
      if (change === null) {
        if (db.schema[name]?.type === "title")
          throw new ApiError(400, "validation_error", "Cannot delete the title property.");
        db.schema = Object.fromEntries(Object.entries(db.schema).filter(([n]) => n !== name));
        continue;
      }
      if (!isObject(change))
        throw new ApiError(400, "validation_error", `body.properties.${name} should be an object.`);
      if (isObject(change.status)) {
        if (!this.options.statusOptionsUpdatable || db.schema[name]?.type !== "status") {
          throw new ApiError(
            400,
            "validation_error",
            "Cannot update the options of a status property via the API.",
          );
        }
        const options = Array.isArray(change.status.options) ? change.status.options.filter(isObject) : [];
        const kept = db.schema[name]?.options ?? [];
        for (const o of options) {
          if (!kept.some((k) => k.name === String(o.name)))
            kept.push({ name: String(o.name), color: typeof o.color === "string" ? o.color : undefined });
        }
        db.schema[name] = { type: "status", options: kept };
        continue;
      }
      for (const type of ["select", "multi_select"] as const) {
        const config = change[type];
        if (!isObject(config)) continue;
        const options = Array.isArray(config.options)
          ? config.options.filter(isObject).map((o) => ({
              name: String(o.name),
              color: typeof o.color === "string" ? o.color : undefined,
            }))
          : [];
        db.schema[name] = { type, options };
      }
    }
    this.patches.push(structuredClone(body));
    return { object: "data_source", id: db.dataSourceId };
  }
}
