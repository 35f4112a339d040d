/**
 * The Web API half of the fake Slack (bot token mode), served by FakeSlack under `/api/<method>`
 * and `/upload/v1/<fileId>`. Written from Slack's method pages; each limit and error is cited where
 * it is modelled. Only the methods drox-backup calls exist; any other is `unknown_method`.
 *
 * As Slack's Web API (https://docs.slack.dev/apis/web-api/):
 * - Requests are POSTs, form-encoded (what @slack/web-api sends; arrays and objects as JSON strings)
 *   or JSON. The token comes as `Authorization: Bearer xoxb-…` (or a `token` field). A wrong or
 *   missing token: `invalid_auth` / `not_authed`. Errors are HTTP 200 with `{ ok: false, error }`,
 *   except rate limits: HTTP 429 with `Retry-After` seconds and `error: "ratelimited"`
 *   (https://docs.slack.dev/apis/web-api/rate-limits). Every answer carries the token's scopes in
 *   `X-OAuth-Scopes`, which the SDK hands back as `response_metadata.scopes`.
 * - A method whose scope the token lacks: `missing_scope` with `needed` and `provided`
 *   (https://docs.slack.dev/reference/methods/chat.postMessage, "Errors").
 * - `chat.postMessage` (scope `chat:write`): `channel` is an id or a name; unknown →
 *   `channel_not_found`; the bot not a member → `not_in_channel`; archived → `is_archived`; no
 *   `text` nor `blocks` → `no_text`; invalid blocks → `invalid_blocks`. `thread_ts` of a message
 *   not in that channel → `thread_not_found`. Rate: "one message per second per channel", allowing
 *   short bursts (https://docs.slack.dev/reference/methods/chat.postMessage, "Rate limits"); with
 *   `enforceChannelRate(1)` a faster post gets 429 + `Retry-After`.
 * - `chat.update` (`chat:write`): `channel` must be the id; `ts` unknown → `message_not_found`.
 *   Answers `{ channel, ts, text }` (https://docs.slack.dev/reference/methods/chat.update).
 * - `chat.getPermalink`: `channel` id and `message_ts`; unknown → `channel_not_found` /
 *   `message_not_found` (https://docs.slack.dev/reference/methods/chat.getPermalink).
 * - `auth.test`: `{ url, team, user, team_id, user_id, bot_id }`
 *   (https://docs.slack.dev/reference/methods/auth.test).
 * - `conversations.info` (`channels:read`): `{ channel: { id, name, is_member, is_archived } }`,
 *   unknown → `channel_not_found` (https://docs.slack.dev/reference/methods/conversations.info).
 * - `files.getUploadURLExternal` (`files:write`): `filename` and `length` (bytes) required, else
 *   `invalid_arguments`; answers `upload_url` and `file_id`
 *   (https://docs.slack.dev/reference/methods/files.getUploadURLExternal). The bytes are then POSTed
 *   to `upload_url`. `files.completeUploadExternal` (`files:write`): `files` = `[{ id, title }]`,
 *   optional `channel_id`, `thread_ts`, `initial_comment`; a file id never handed out →
 *   `file_not_found`; a channel the bot is not in → `not_in_channel`
 *   (https://docs.slack.dev/reference/methods/files.completeUploadExternal).
 *
 * Controls: `addChannel`, `setScopes`, `fail(method, error, times, { status, retryAfter })`,
 * `outage(status)` / `endOutage()` (every method answers HTTP `status` meanwhile), `enforceChannelRate`.
 * Inspection: `posts(channel?)`, `message(channel, ts)`, `uploads()`, `calls(method?)`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export const FAKE_BOT_TOKEN = "xoxb-0000000000-1111111111-FakeBotTokenSentinel42";
export const FAKE_TEAM_URL = "https://drox.slack.com/";
const ALL_SCOPES = ["chat:write", "files:write", "channels:read", "groups:read"];

export interface FakeApiMessage {
  readonly channel: string;
  readonly ts: string;
  readonly at: number;
  text?: string;
  blocks?: unknown[];
  readonly threadTs?: string;
  /** chat.update requests applied to this message. */
  edits: number;
}

export interface FakeUpload {
  readonly fileId: string;
  readonly filename: string;
  readonly declaredLength: number;
  bytes?: Buffer;
  channel?: string;
  threadTs?: string;
  title?: string;
  initialComment?: string;
}

interface FakeChannel {
  readonly id: string;
  readonly name: string;
  member: boolean;
  archived: boolean;
  lastPost?: number;
}

interface ApiFault {
  readonly error: string;
  readonly status: number;
  readonly retryAfter?: number;
}

export interface FakeApiCall {
  readonly method: string;
  readonly at: number;
  status: number;
  error?: string;
}

type Args = Record<string, unknown>;
type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const SCOPE_OF: Record<string, string | undefined> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.getPermalink": undefined,
  "auth.test": undefined,
  "conversations.info": "channels:read",
  "files.getUploadURLExternal": "files:write",
  "files.completeUploadExternal": "files:write",
};

class ApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export class FakeSlackWebApi {
  private channels = new Map<string, FakeChannel>();
  private readonly stored: FakeApiMessage[] = [];
  private readonly files = new Map<string, FakeUpload>();
  private readonly log: FakeApiCall[] = [];
  private faults = new Map<string, ApiFault[]>();
  private scopes = [...ALL_SCOPES];
  private down?: number;
  private channelRate?: number;
  private seq = 0;
  token = FAKE_BOT_TOKEN;

  /** `validatePayload` of the webhook fake: the same Block Kit checks for both. */
  constructor(
    private readonly baseUrl: string,
    private readonly validate: (payload: Record<string, unknown>) => string | undefined = () => undefined,
  ) {}

  /** A channel the bot can see; `member: false` models a bot not yet invited. Returns its id. */
  addChannel(name: string, options: { member?: boolean; archived?: boolean } = {}): string {
    const existing = [...this.channels.values()].find((c) => c.name === name);
    if (existing) return existing.id;
    const id = `C${String(this.channels.size + 1).padStart(8, "0")}`;
    this.channels.set(id, {
      id,
      name,
      member: options.member ?? true,
      archived: options.archived ?? false,
    });
    return id;
  }

  setMember(channel: string, member: boolean): this {
    const found = this.channels.get(channel);
    if (found) found.member = member;
    return this;
  }

  setScopes(scopes: readonly string[]): this {
    this.scopes = [...scopes];
    return this;
  }

  /** The next `times` calls of `method` (or `*`) answer `error`; status 429 adds `Retry-After`. */
  fail(
    method: string,
    error: string,
    times = 1,
    options: { status?: number; retryAfter?: number } = {},
  ): this {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i += 1) list.push({ error, status: options.status ?? 200, ...options });
    this.faults.set(method, list);
    return this;
  }

  /** Slack unavailable: every method answers HTTP `status` until `endOutage()` or `reset()`. */
  outage(status = 503): this {
    this.down = status;
    return this;
  }

  endOutage(): this {
    this.down = undefined;
    return this;
  }

  enforceChannelRate(perSecond: number | undefined): this {
    this.channelRate = perSecond;
    return this;
  }

  /** Top-level messages and replies, in posting order. */
  posts(channel?: string): FakeApiMessage[] {
    return this.stored.filter((m) => channel === undefined || m.channel === channel);
  }

  message(channel: string, ts: string): FakeApiMessage | undefined {
    return this.stored.find((m) => m.channel === channel && m.ts === ts);
  }

  uploads(): FakeUpload[] {
    return [...this.files.values()];
  }

  calls(method?: string): FakeApiCall[] {
    return this.log.filter((c) => method === undefined || c.method === method);
  }

  permalinkOf(channel: string, ts: string): string {
    return `${FAKE_TEAM_URL}archives/${channel}/p${ts.replace(".", "")}`;
  }

  /** Forgets messages, uploads, calls, faults and limits; channels, scopes and token stay. */
  reset(): this {
    this.stored.length = 0;
    this.files.clear();
    this.log.length = 0;
    this.faults.clear();
    this.down = undefined;
    this.channelRate = undefined;
    return this;
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readRaw(req);
    if (path.startsWith("/upload/")) return this.upload(req, res, path, raw);
    const method = path.slice("/api/".length);
    const call: FakeApiCall = { method, at: Date.now(), status: 0 };
    this.log.push(call);
    const answer = this.answer(method, req, raw);
    call.status = answer.status;
    call.error = typeof answer.body.error === "string" ? answer.body.error : undefined;
    res
      .writeHead(answer.status, {
        "Content-Type": "application/json; charset=utf-8",
        "X-OAuth-Scopes": this.scopes.join(","),
        ...answer.headers,
      })
      .end(JSON.stringify(answer.body));
  }

  private answer(method: string, req: IncomingMessage, raw: Buffer): Answer {
    if (this.down !== undefined)
      return { status: this.down, body: { ok: false, error: "service_unavailable" } };
    if (req.method !== "POST") return { status: 200, body: { ok: false, error: "invalid_request" } };
    const args = parseArgs(req.headers["content-type"], raw);
    const auth = req.headers.authorization?.replace(/^Bearer\s+/i, "") ?? args.token;
    if (typeof auth !== "string" || auth === "")
      return { status: 200, body: { ok: false, error: "not_authed" } };
    if (auth !== this.token) return { status: 200, body: { ok: false, error: "invalid_auth" } };
    if (!(method in SCOPE_OF)) return { status: 200, body: { ok: false, error: "unknown_method" } };
    const needed = SCOPE_OF[method];
    if (needed && !this.scopes.includes(needed)) {
      return {
        status: 200,
        body: { ok: false, error: "missing_scope", needed, provided: this.scopes.join(",") },
      };
    }
    const fault = (this.faults.get(method) ?? this.faults.get("*"))?.shift();
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
      return { status: fault.status, body: { ok: false, error: fault.error }, headers };
    }
    try {
      return { status: 200, body: { ok: true, ...this.dispatch(method, args) } };
    } catch (error) {
      if (error instanceof RateLimited) {
        return {
          status: 429,
          body: { ok: false, error: "ratelimited" },
          headers: { "Retry-After": String(error.retryAfter) },
        };
      }
      if (error instanceof ApiError)
        return { status: 200, body: { ok: false, error: error.error, ...error.extra } };
      throw error;
    }
  }

  private dispatch(method: string, args: Args): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return {
          url: FAKE_TEAM_URL,
          team: "DROX",
          user: "drox_devops_backup",
          team_id: "T0FAKE",
          user_id: "U0FAKEBOT",
          bot_id: "B0FAKEBOT",
        };
      case "conversations.info": {
        const channel = this.channel(args.channel, { byName: false });
        return {
          channel: {
            id: channel.id,
            name: channel.name,
            is_member: channel.member,
            is_archived: channel.archived,
          },
        };
      }
      case "chat.postMessage":
        return this.postMessage(args);
      case "chat.update":
        return this.update(args);
      case "chat.getPermalink": {
        const channel = this.channel(args.channel, { byName: false });
        const ts = str(args.message_ts);
        const message = this.message(channel.id, ts);
        if (!message) throw new ApiError("message_not_found");
        const base = this.permalinkOf(channel.id, ts);
        const permalink = message.threadTs ? `${base}?thread_ts=${message.threadTs}&cid=${channel.id}` : base;
        return { channel: channel.id, permalink };
      }
      case "files.getUploadURLExternal": {
        const filename = str(args.filename);
        const length = Number(args.length);
        if (!filename || !Number.isInteger(length) || length < 1) throw new ApiError("invalid_arguments");
        const fileId = `F${String(this.files.size + 1).padStart(10, "0")}`;
        this.files.set(fileId, { fileId, filename, declaredLength: length });
        return { upload_url: `${this.baseUrl}/upload/v1/${fileId}`, file_id: fileId };
      }
      case "files.completeUploadExternal":
        return this.completeUpload(args);
      default:
        throw new ApiError("unknown_method");
    }
  }

  private postMessage(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, { byName: true });
    if (channel.archived) throw new ApiError("is_archived");
    if (!channel.member) throw new ApiError("not_in_channel");
    const payload = payloadOf(args);
    if (payload.text === undefined && payload.blocks === undefined) throw new ApiError("no_text");
    const problem = this.validate(payload);
    if (problem) throw new ApiError(problem);
    const threadTs = str(args.thread_ts) || undefined;
    if (threadTs && !this.message(channel.id, threadTs)) throw new ApiError("thread_not_found");
    const now = Date.now();
    if (this.channelRate !== undefined && channel.lastPost !== undefined) {
      const wait = channel.lastPost + 1000 / this.channelRate - now;
      if (wait > 0) throw new RateLimited(Math.ceil(wait / 1000));
    }
    channel.lastPost = now;
    const ts = this.nextTs(now);
    const message: FakeApiMessage = {
      channel: channel.id,
      ts,
      at: now,
      text: payload.text as string | undefined,
      blocks: payload.blocks as unknown[] | undefined,
      threadTs,
      edits: 0,
    };
    this.stored.push(message);
    return { channel: channel.id, ts, message: { type: "message", text: message.text, ts } };
  }

  private update(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, { byName: false });
    const message = this.message(channel.id, str(args.ts));
    if (!message) throw new ApiError("message_not_found");
    const payload = payloadOf(args);
    const problem = this.validate({ text: message.text, ...payload });
    if (problem) throw new ApiError(problem);
    if (payload.text !== undefined) message.text = payload.text as string;
    if (payload.blocks !== undefined) message.blocks = payload.blocks as unknown[];
    message.edits += 1;
    return { channel: channel.id, ts: message.ts, text: message.text };
  }

  private completeUpload(args: Args): Record<string, unknown> {
    const list = Array.isArray(args.files) ? (args.files as { id?: unknown; title?: unknown }[]) : [];
    if (list.length === 0) throw new ApiError("invalid_arguments");
    const channelId = str(args.channel_id) || undefined;
    const channel = channelId ? this.channel(channelId, { byName: false }) : undefined;
    if (channel && !channel.member) throw new ApiError("not_in_channel");
    const threadTs = str(args.thread_ts) || undefined;
    const done = list.map((entry) => {
      const upload = this.files.get(str(entry.id));
      if (!upload || upload.bytes === undefined) throw new ApiError("file_not_found");
      upload.channel = channel?.id;
      upload.threadTs = threadTs;
      upload.title = str(entry.title) || upload.filename;
      upload.initialComment = str(args.initial_comment) || undefined;
      return { id: upload.fileId, name: upload.filename, title: upload.title, size: upload.bytes.length };
    });
    return { files: done };
  }

  /** The upload URL: the file's bytes, raw or as the multipart form @slack/web-api sends. */
  private async upload(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): Promise<void> {
    const upload = this.files.get(path.split("/").pop() ?? "");
    if (!upload || req.method !== "POST") {
      res.writeHead(404).end("not found");
      return;
    }
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await new Response(raw, { headers: { "content-type": type } }).formData();
      const part = [...form.values()].find((v) => typeof v !== "string");
      upload.bytes =
        part !== undefined && typeof part !== "string"
          ? Buffer.from(await part.arrayBuffer())
          : Buffer.alloc(0);
    } else {
      upload.bytes = raw;
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end(`OK - ${upload.bytes.length}`);
  }

  private channel(value: unknown, options: { byName: boolean }): FakeChannel {
    const key = str(value);
    const byId = this.channels.get(key);
    if (byId) return byId;
    if (options.byName) {
      const name = key.replace(/^#/, "");
      const byName = [...this.channels.values()].find((c) => c.name === name);
      if (byName) return byName;
    }
    throw new ApiError("channel_not_found");
  }

  private nextTs(now: number): string {
    this.seq += 1;
    return `${Math.floor(now / 1000)}.${String(this.seq).padStart(6, "0")}`;
  }
}

class RateLimited extends Error {
  constructor(readonly retryAfter: number) {
    super("ratelimited");
  }
}

function str(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function payloadOf(args: Args): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  if (args.text !== undefined) payload.text = str(args.text);
  if (args.blocks !== undefined) payload.blocks = args.blocks;
  return payload;
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Form fields (JSON-looking values decoded, as Slack decodes `blocks` and `files`) or a JSON body. */
function parseArgs(contentType: string | undefined, raw: Buffer): Args {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    try {
      const value: unknown = JSON.parse(raw.toString("utf8"));
      return typeof value === "object" && value !== null ? (value as Args) : {};
    } catch {
      return {};
    }
  }
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
