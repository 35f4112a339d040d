/**
 * Writes events as pages of the "백업 로그" database through @notionhq/client (API 2025-09-03:
 * a database holds data sources; pages are created in the data source).
 *
 * Idempotency (SNS delivers at least once): before creating, the writer looks the event up.
 *  - If the database has the optional rich_text property `Job_ID` (the doctor recommends it and
 *    `notion init` creates it), one query filtered on `Job_ID` equals the id decides.
 *  - Otherwise (the seed's schema has no id column) it queries `Date` equals the row's date AND
 *    title equals the row's summary — a handful of candidates at most, since the summary names
 *    the resource — and confirms each by reading its first block, which is always
 *    `Job ID: <id>` (`Report ID`, `Check ID`). Two backups of one volume on one day therefore
 *    stay two pages, and a redelivery stays one.
 *  - Ids written by this warm process are cached, and concurrent deliveries of one id share one
 *    in-flight write. Across processes the lookup is what protects; two Lambdas handling the same
 *    message at the very same moment could still both create (SNS redelivers after a failure, so
 *    this needs a failure and a race at once).
 */
import { type Client, isFullDataSource, isFullDatabase } from "@notionhq/client";
import type { DroxEvent } from "../contract/events";
import { eventId } from "../contract/events";
import type { Logger } from "../logging/logger";
import { DEFAULT_TIME_ZONE, formatDate, weekLabel } from "../contract/time";
import { type Block, idLabel, pageBlocks, paragraph } from "./blocks";
import { NotionApiError, toNotionError } from "./errors";
import {
  type MappingOptions,
  type NotionRow,
  type SuccessRateThresholds,
  mapEvent,
  titleText,
  toProperties,
} from "./mapping";
import { HEALTH_OPTIONS, PROPERTY, STATUS_OPTIONS, type SchemaPlan, planSchema } from "./schema";
import { URL_LIMIT, plainText } from "./text";
import { toDashedId } from "./ids";

/** The page of an event: its id, its URL (for the Slack message) and whether this call made it. */
export interface LoggedPage {
  readonly pageId: string;
  readonly created: boolean;
  readonly url: string;
}

export interface NotionLogger {
  /** Creates the event's page unless it exists already; `created` says which. */
  log(event: DroxEvent): Promise<LoggedPage>;
  /**
   * Sets Slack_Log_Link / Report_Link of a page (bot mode: the page was written before the Slack
   * message had its permalink). Setting the same URL again changes nothing visible.
   */
  setLinks(pageId: string, links: { readonly slackLog?: string; readonly report?: string }): Promise<void>;
  /**
   * A follow-up of the page's result (a pending snapshot completed, a retry succeeded): its Status
   * and System_Health become the follow-up's, and its Improvement the follow-up's when it has one.
   */
  followUp(pageId: string, event: DroxEvent): Promise<void>;
  /** A page that proves the connection and the schema work (not idempotent). */
  writeTestPage(): Promise<{ pageId: string }>;
}

export interface NotionWriterOptions {
  readonly client: Client;
  /** 32-hex database id (see parseNotionId). */
  readonly databaseId: string;
  readonly timeZone?: string;
  readonly thresholds?: SuccessRateThresholds;
  readonly logger?: Logger;
  /** Bound on remembered ids per warm process. */
  readonly cacheSize?: number;
}

/** The schema as read once per cold start. */
export interface ResolvedDatabase {
  readonly databaseName: string;
  readonly dataSourceId: string;
  readonly plan: SchemaPlan;
}

/**
 * A page's URL from its id: https://www.notion.so/<id without dashes> opens the page (Notion's own
 * `url` adds a title slug before the id, which changes with the title; the id alone does not).
 */
export function pageUrl(pageId: string): string {
  return `https://www.notion.so/${pageId.replace(/-/g, "")}`;
}

const CANDIDATE_PAGE_SIZE = 25;
const MAX_CANDIDATE_PAGES = 4;

interface TextBlockLike {
  readonly type?: string;
  readonly [key: string]: unknown;
}

/** The plain text of a block returned by blocks.children.list (paragraph, heading, …). */
function blockText(block: TextBlockLike): string {
  const body = block.type ? block[block.type] : undefined;
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: Notion always sends a block's body under its type (developers.notion.com/reference/block, `unsupported` included); this only shields a malformed answer
  if (typeof body !== "object" || body === null) return "";
  const rich = (body as { rich_text?: unknown }).rich_text;
  return Array.isArray(rich) ? plainText(rich as { plain_text?: string; text?: { content: string } }[]) : "";
}

export class NotionWriter implements NotionLogger {
  private readonly client: Client;
  private readonly databaseId: string;
  private readonly mapping: MappingOptions;
  private readonly timeZone: string;
  private readonly logger?: Logger;
  private readonly cacheSize: number;
  private resolved?: Promise<ResolvedDatabase>;
  private readonly written = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<LoggedPage>>();

  constructor(options: NotionWriterOptions) {
    this.client = options.client;
    this.databaseId = toDashedId(options.databaseId.replace(/-/g, ""));
    this.timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    this.mapping = { timeZone: this.timeZone, thresholds: options.thresholds };
    this.logger = options.logger;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** Reads the database and its data source's schema once; a failure is retried on the next call. */
  database(): Promise<ResolvedDatabase> {
    if (!this.resolved) {
      this.resolved = this.readDatabase();
      this.resolved.catch(() => (this.resolved = undefined));
    }
    return this.resolved;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toNotionError(error, { action, databaseId: this.databaseId });
    }
  }

  private async readDatabase(): Promise<ResolvedDatabase> {
    const database = await this.call("reading the database", () =>
      this.client.databases.retrieve({ database_id: this.databaseId }),
    );
    if (!isFullDatabase(database)) {
      throw new NotionApiError(
        "Notion: reading the database returned a partial object; is the id a database's?",
        {
          retryable: false,
        },
      );
    }
    const databaseName = `"${plainText(database.title) || this.databaseId}"`;
    const source = database.data_sources[0];
    if (!source) {
      throw new NotionApiError(
        `Notion: the database ${databaseName} has no data source (table) to write to`,
        {
          retryable: false,
        },
      );
    }
    const dataSource = await this.call("reading the database schema", () =>
      this.client.dataSources.retrieve({ data_source_id: source.id }),
    );
    if (!isFullDataSource(dataSource)) {
      throw new NotionApiError("Notion: reading the database schema returned a partial object", {
        retryable: false,
      });
    }
    const plan = planSchema(dataSource.properties, databaseName);
    this.logger?.info({ database: this.databaseId, dataSource: source.id, plan }, "notion schema read");
    return { databaseName, dataSourceId: source.id, plan };
  }

  log(event: DroxEvent): Promise<LoggedPage> {
    const id = eventId(event);
    const known = this.written.get(id);
    if (known) return Promise.resolve({ pageId: known, created: false, url: pageUrl(known) });
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.write(event, id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  private remember(id: string, pageId: string): void {
    if (this.written.size >= this.cacheSize) {
      const oldest = this.written.keys().next().value;
      // Stryker disable next-line ConditionalExpression: the map is not empty here (size >= cacheSize >= 1), and delete(undefined) changes nothing anyway
      if (oldest !== undefined) this.written.delete(oldest);
    }
    this.written.set(id, pageId);
  }

  private async write(event: DroxEvent, id: string): Promise<LoggedPage> {
    const db = await this.database();
    const row = mapEvent(event, this.mapping);
    const existing = await this.findExisting(db, row, `${idLabel(event)}: ${id}`);
    if (existing) {
      this.remember(id, existing);
      this.logger?.info({ id, pageId: existing }, "notion page exists; duplicate delivery skipped");
      return { pageId: existing, created: false, url: pageUrl(existing) };
    }
    const pageId = await this.createPage(db, row, pageBlocks(event, this.timeZone), "creating the page");
    this.remember(id, pageId);
    this.logger?.info({ id, pageId }, "notion page created");
    return { pageId, created: true, url: pageUrl(pageId) };
  }

  async setLinks(
    pageId: string,
    links: { readonly slackLog?: string; readonly report?: string },
  ): Promise<void> {
    const properties: Record<string, { url: string }> = {};
    if (links.slackLog && links.slackLog.length <= URL_LIMIT)
      properties[PROPERTY.slackLog] = { url: links.slackLog };
    if (links.report && links.report.length <= URL_LIMIT) properties[PROPERTY.report] = { url: links.report };
    if (Object.keys(properties).length === 0) return;
    await this.call("linking the page", () => this.client.pages.update({ page_id: pageId, properties }));
  }

  async followUp(pageId: string, event: DroxEvent): Promise<void> {
    const db = await this.database();
    const all = toProperties(mapEvent(event, this.mapping), db.plan);
    const keep = [PROPERTY.status, PROPERTY.health, PROPERTY.improvement] as string[];
    const properties = Object.fromEntries(Object.entries(all).filter(([name]) => keep.includes(name)));
    await this.call("updating the followed-up page", () =>
      this.client.pages.update({ page_id: pageId, properties }),
    );
  }

  private async createPage(
    db: ResolvedDatabase,
    row: NotionRow,
    children: Block[],
    action: string,
  ): Promise<string> {
    const page = await this.call(action, () =>
      this.client.pages.create({
        // Stryker disable next-line StringLiteral: the parent is named by its key; `type` is optional (developers.notion.com/reference/post-page sends only data_source_id)
        parent: { type: "data_source_id", data_source_id: db.dataSourceId },
        properties: toProperties(row, db.plan),
        children,
      }),
    );
    return page.id;
  }

  /** The id of the page already written for this event, if any (see the header comment). */
  private async findExisting(
    db: ResolvedDatabase,
    row: NotionRow,
    firstLine: string,
  ): Promise<string | undefined> {
    const { plan } = db;
    if (plan.jobIdProperty) {
      const out = await this.call("looking up the job id", () =>
        this.client.dataSources.query({
          data_source_id: db.dataSourceId,
          // Stryker disable next-line LogicalOperator: inside this branch jobIdProperty is set, and planSchema only ever sets it to PROPERTY.jobId
          filter: { property: plan.jobIdProperty ?? PROPERTY.jobId, rich_text: { equals: row.id } },
          page_size: 1,
        }),
      );
      return out.results[0]?.id;
    }
    const title = plainText(titleText(row));
    let cursor: string | undefined;
    for (let page = 0; page < MAX_CANDIDATE_PAGES; page++) {
      const out = await this.call("looking up existing pages", () =>
        this.client.dataSources.query({
          data_source_id: db.dataSourceId,
          filter: {
            and: [
              { property: PROPERTY.date, date: { equals: row.date } },
              { property: plan.titleProperty, title: { equals: title } },
            ],
          },
          page_size: CANDIDATE_PAGE_SIZE,
          ...(cursor ? { start_cursor: cursor } : {}),
        }),
      );
      for (const candidate of out.results) {
        const children = await this.call("reading a candidate page", () =>
          this.client.blocks.children.list({ block_id: candidate.id, page_size: 1 }),
        );
        const first = children.results[0] as TextBlockLike | undefined;
        if (first && blockText(first) === firstLine) return candidate.id;
      }
      // Stryker disable next-line LogicalOperator: Notion sends next_cursor exactly when has_more (developers.notion.com/reference/intro#pagination)
      if (!out.has_more || !out.next_cursor) return undefined;
      cursor = out.next_cursor;
    }
    this.logger?.warn({ id: row.id }, "more than 100 pages share this date and summary; created a new page");
    return undefined;
  }

  async writeTestPage(): Promise<{ pageId: string }> {
    const db = await this.database();
    const now = new Date();
    const date = formatDate(now, this.timeZone);
    const row: NotionRow = {
      id: `test-${now.getTime()}`,
      date,
      summary: "drox-backup 연동 테스트",
      status: STATUS_OPTIONS.SUCCEEDED.name,
      category: [],
      week: weekLabel(date),
      health: HEALTH_OPTIONS.SUCCEEDED.name,
      dbVerified: false,
      securityCheck: false,
    };
    const pageId = await this.createPage(
      db,
      row,
      [
        paragraph(`Test ID: ${row.id}`),
        paragraph("drox-backup이 Notion 연동을 확인하려고 만든 페이지입니다. 지워도 됩니다."),
      ],
      "writing the test page",
    );
    return { pageId };
  }
}
