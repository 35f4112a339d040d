/**
 * A fake Slack Incoming Webhooks server on loopback, written from Slack's documentation
 * (docs.slack.dev "Sending messages using incoming webhooks", the 2016-05-17 changelog on webhook
 * errors, the rate-limits page, the Block Kit reference). Reusable by any spec, benchmark or sandbox.
 *
 * Behaviour, as Slack's:
 * - `POST /services/T…/B…/<hook>`: each distinct `<hook>` is a webhook of its own. Other paths:
 *   404 `no_service`. Other methods: 405 `invalid_method`.
 * - Body: JSON (`Content-Type: application/json`) or form-encoded with a `payload` field. Anything
 *   else, or not a JSON object: 400 `invalid_payload`.
 * - `text`, `blocks` or `attachments` required: none of them is 400
 *   `missing_text_or_fallback_or_attachments` (what the real webhook answers a payload without them,
 *   https://github.com/slackapi/slack-github-action/issues/117), a blank `text` alone 400 `no_text`.
 *   `blocks` must be an array of 1–50 valid blocks (section text ≤ 3,000, ≤ 10 fields of ≤ 2,000,
 *   header plain_text ≤ 150, context ≤ 10 elements, text objects `plain_text`/`mrkdwn` with
 *   non-empty text), else 400 `invalid_blocks`. Valid blocks whose `text` strings add up to more
 *   than 12,000 characters: 400 `msg_blocks_too_long` — a limit on no Block Kit page, given by
 *   Slack's maintainers as "12,000 text characters" (https://github.com/slackapi/bolt-js/issues/2509,
 *   measured by summing every `.text` in https://github.com/slackapi/bolt-js/issues/2867). More than
 *   100 attachments: 400 `too_many_attachments`. `text` over 40,000 characters is posted truncated
 *   to 40,000, not refused: "This behavior applies to all methods of posting messages to Slack: …
 *   incoming webhooks" (https://api.slack.com/changelog/2018-04-truncating-really-long-messages);
 *   a webhook answers `ok` all the same (its warning exists only in Web API responses).
 * - Success: 200 `ok` (text/html, as Slack answers).
 *
 * Controls (per hook, or `"*"` for every hook):
 * - `rateLimit(hook, retryAfterSeconds, times)`: the next `times` requests get 429 + `Retry-After`.
 * - `enforceRate(perSecond, hook?)`: accept at most `perSecond` messages a second per webhook
 *   (spacing 1/perSecond); faster requests get 429 with `Retry-After` = seconds until the next slot
 *   (rounded up). `enforceRate(undefined)` lifts it.
 * - `fail(hook, status, body, times)`: e.g. 500 `rollup_error`, 503, or 404 `no_service`, 403
 *   `action_prohibited`, 410 `channel_is_archived`, 404 `channel_not_found` for `times` requests.
 * - `disable(hook, status, body)`: every request to the hook gets that answer until `reset()`
 *   (a deleted channel, a removed app).
 * - `stall(hook, ms, times)`: hold the next `times` requests for `ms` before handling them. A request
 *   whose client gave up meanwhile (a timeout) is not posted: it appears in `requests()` with status 0.
 *
 * Web API (bot token mode): `POST /api/<method>` and the upload URLs are served by
 * `FakeSlackWebApi` (./slack-web-api.ts), reachable as `slack.api`, with `slack.apiUrl` as the base.
 *
 * Inspection: `messages(hook?)` lists accepted messages (`text`, `blocks`, `payload`, `at`);
 * `requests(hook?)` every request with the status answered. `webhookUrl(hook)` gives the URL to use.
 *
 *   const slack = await FakeSlack.start();
 *   const url = slack.webhookUrl("main");           // http://127.0.0.1:<port>/services/T0FAKE/B0FAKE/main
 *   slack.rateLimit("main", 1);                      // next request: 429, Retry-After: 1
 *   ...; assert.equal(slack.messages("main").length, 1);
 *   await slack.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FakeSlackWebApi } from "./slack-web-api";

export { FakeSlackWebApi, FAKE_BOT_TOKEN, type FakeApiMessage, type FakeUpload } from "./slack-web-api";

export interface FakeSlackMessage {
  readonly hook: string;
  readonly at: number;
  /** The `text` as Slack shows it (cut to 40,000 characters). */
  readonly text?: string;
  readonly blocks?: unknown[];
  readonly payload: Record<string, unknown>;
}

export interface FakeSlackRequest {
  readonly hook: string;
  readonly at: number;
  /** Status answered; 0 when the client went away before the answer. */
  status: number;
  /** Slack's error string (`ok` on success). */
  body: string;
  readonly rawBody: string;
}

export interface Fault {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

interface HookControl {
  faults: Fault[];
  stalls: number[];
  disabled?: Fault;
  lastAccepted?: number;
}

export const ALL_HOOKS = "*";
const HOOK_PATH = /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/([A-Za-z0-9_-]+)\/?$/;
const TEXT_LIMIT = 40_000;
const BLOCKS_TEXT_LIMIT = 12_000;

export class FakeSlack {
  private readonly accepted: FakeSlackMessage[] = [];
  private readonly log: FakeSlackRequest[] = [];
  private readonly controls = new Map<string, HookControl>();
  private readonly sockets = new Set<Socket>();
  private perSecond?: { rate: number; hook: string };

  /** The Web API half (bot token mode): `slack.api.addChannel(…)`, `slack.api.posts()`, … */
  readonly api: FakeSlackWebApi;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {
    this.api = new FakeSlackWebApi(baseUrl, validatePayload);
  }

  /** The Web API base URL for `new WebClient(token, { slackApiUrl })`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** Starts the fake on 127.0.0.1 at a free port. */
  static async start(): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, `http://127.0.0.1:${port}`);
    server.on("connection", (socket) => {
      fake.sockets.add(socket);
      socket.on("close", () => fake.sockets.delete(socket));
    });
    server.on("request", (req, res) => void fake.handle(req, res));
    return fake;
  }

  webhookUrl(hook = "main"): string {
    if (!/^[A-Za-z0-9_-]+$/.test(hook)) throw new Error(`hook names are letters, digits, _ and -: ${hook}`);
    return `${this.baseUrl}/services/T0FAKE/B0FAKE/${hook}`;
  }

  messages(hook?: string): FakeSlackMessage[] {
    return this.accepted.filter((m) => hook === undefined || m.hook === hook);
  }

  requests(hook?: string): FakeSlackRequest[] {
    return this.log.filter((r) => hook === undefined || r.hook === hook);
  }

  rateLimit(hook: string, retryAfterSeconds: number, times = 1): this {
    const fault = {
      status: 429,
      body: "rate_limited",
      headers: { "Retry-After": String(retryAfterSeconds) },
    };
    return this.enqueue(hook, fault, times);
  }

  fail(hook: string, status = 500, body = "rollup_error", times = 1): this {
    return this.enqueue(hook, { status, body }, times);
  }

  disable(hook: string, status = 404, body = "no_service"): this {
    this.control(hook).disabled = { status, body };
    return this;
  }

  stall(hook: string, ms: number, times = 1): this {
    const control = this.control(hook);
    for (let i = 0; i < times; i += 1) control.stalls.push(ms);
    return this;
  }

  enforceRate(perSecond: number | undefined, hook: string = ALL_HOOKS): this {
    this.perSecond = perSecond === undefined ? undefined : { rate: perSecond, hook };
    return this;
  }

  /** Forgets messages, requests and every control. */
  reset(): this {
    this.api.reset();
    this.accepted.length = 0;
    this.log.length = 0;
    this.controls.clear();
    this.perSecond = undefined;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private enqueue(hook: string, fault: Fault, times: number): this {
    const control = this.control(hook);
    for (let i = 0; i < times; i += 1) control.faults.push(fault);
    return this;
  }

  private control(hook: string): HookControl {
    let control = this.controls.get(hook);
    if (!control) {
      control = { faults: [], stalls: [] };
      this.controls.set(hook, control);
    }
    return control;
  }

  /** A hook's own control first, then the `*` one. */
  private take<T>(hook: string, pick: (c: HookControl) => T | undefined): T | undefined {
    for (const key of [hook, ALL_HOOKS]) {
      const control = this.controls.get(key);
      const value = control ? pick(control) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", this.baseUrl).pathname;
    if (path.startsWith("/api/") || path.startsWith("/upload/")) return this.api.handle(req, res, path);
    const rawBody = await readBody(req);
    const match = HOOK_PATH.exec(new URL(req.url ?? "/", this.baseUrl).pathname);
    const hook = match?.[1] ?? "(none)";
    const entry: FakeSlackRequest = { hook, at: Date.now(), status: 0, body: "", rawBody };
    this.log.push(entry);
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      entry.body = body;
      res.writeHead(status, { "Content-Type": "text/html", ...headers }).end(body);
    };

    if (req.method !== "POST") return answer(405, "invalid_method");
    if (!match) return answer(404, "no_service");

    const stall = this.take(hook, (c) => c.stalls.shift());
    if (stall !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, stall));
      if (res.destroyed || req.socket.destroyed) return; // the client gave up: nothing posted
    }
    const disabled = this.take(hook, (c) => c.disabled);
    if (disabled) return answer(disabled.status, disabled.body, disabled.headers);
    const fault = this.take(hook, (c) => c.faults.shift());
    if (fault) return answer(fault.status, fault.body, fault.headers);

    const control = this.control(hook);
    const limit = this.perSecond;
    const now = Date.now();
    if (limit && (limit.hook === ALL_HOOKS || limit.hook === hook) && control.lastAccepted !== undefined) {
      const spacing = 1000 / limit.rate;
      const wait = control.lastAccepted + spacing - now;
      if (wait > 0) return answer(429, "rate_limited", { "Retry-After": String(Math.ceil(wait / 1000)) });
    }

    const parsed = parsePayload(req.headers["content-type"], rawBody);
    if (typeof parsed === "string") return answer(400, parsed);
    const problem = validatePayload(parsed);
    if (problem) return answer(400, problem);

    control.lastAccepted = now;
    const text = typeof parsed.text === "string" ? parsed.text.slice(0, TEXT_LIMIT) : undefined;
    const blocks = Array.isArray(parsed.blocks) ? (parsed.blocks as unknown[]) : undefined;
    this.accepted.push({ hook, at: now, text, blocks, payload: parsed });
    return answer(200, "ok");
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The payload object, or Slack's error string. */
function parsePayload(contentType: string | undefined, raw: string): Record<string, unknown> | string {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  let json: string | null;
  if (type === "application/json") json = raw;
  else if (type === "application/x-www-form-urlencoded") json = new URLSearchParams(raw).get("payload");
  else return "invalid_payload";
  if (json === null) return "invalid_payload";
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "invalid_payload";
    return value as Record<string, unknown>;
  } catch {
    return "invalid_payload";
  }
}

function validatePayload(payload: Record<string, unknown>): string | undefined {
  const { text, blocks, attachments } = payload;
  if (text !== undefined && typeof text !== "string") return "invalid_payload";
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) return "invalid_attachments";
    if (attachments.length > 100) return "too_many_attachments";
  }
  if (blocks !== undefined) {
    if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 50) return "invalid_blocks";
    if (!blocks.every(isValidBlock)) return "invalid_blocks";
    if (textLength(blocks) > BLOCKS_TEXT_LIMIT) return "msg_blocks_too_long";
  }
  if (text === undefined && blocks === undefined && attachments === undefined) {
    return "missing_text_or_fallback_or_attachments";
  }
  const hasText = typeof text === "string" && text.trim() !== "";
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (!hasText && blocks === undefined && !hasAttachments) return "no_text";
  return undefined;
}

/** Every `text` string anywhere in the blocks (text objects, fields, elements), added up. */
function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (typeof value !== "object" || value === null) return 0;
  return Object.entries(value).reduce(
    (n, [key, v]) => n + (key === "text" && typeof v === "string" ? v.length : textLength(v)),
    0,
  );
}

function isTextObject(value: unknown, max: number, types = ["plain_text", "mrkdwn"]): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { type, text } = value as { type?: unknown; text?: unknown };
  return (
    typeof type === "string" &&
    types.includes(type) &&
    typeof text === "string" &&
    text.length >= 1 &&
    text.length <= max
  );
}

const OTHER_BLOCKS = new Set([
  "actions",
  "image",
  "rich_text",
  "input",
  "video",
  "file",
  "markdown",
  "table",
  "context_actions",
]);

function isValidBlock(block: unknown): boolean {
  if (typeof block !== "object" || block === null) return false;
  const b = block as {
    type?: unknown;
    text?: unknown;
    fields?: unknown;
    elements?: unknown;
    block_id?: unknown;
  };
  if (b.block_id !== undefined && (typeof b.block_id !== "string" || b.block_id.length > 255)) return false;
  switch (b.type) {
    case "section": {
      if (b.text === undefined && b.fields === undefined) return false;
      if (b.text !== undefined && !isTextObject(b.text, 3000)) return false;
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > 10) return false;
        if (!b.fields.every((f) => isTextObject(f, 2000))) return false;
      }
      return true;
    }
    case "header":
      return isTextObject(b.text, 150, ["plain_text"]);
    case "context":
      return (
        Array.isArray(b.elements) &&
        b.elements.length >= 1 &&
        b.elements.length <= 10 &&
        b.elements.every((e) => isTextObject(e, 3000) || (e as { type?: unknown }).type === "image")
      );
    case "divider":
      return true;
    default:
      return typeof b.type === "string" && OTHER_BLOCKS.has(b.type);
  }
}
