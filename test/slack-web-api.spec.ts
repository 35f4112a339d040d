import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { Writable } from "node:stream";
import { createLogger } from "../runtime/logging/logger";
import { buildPayload } from "../runtime/slack/blocks";
import { apiAdvice, INVITE_COMMAND, SlackApiError, SlackWebApi } from "../runtime/slack/web-api";
import { FAKE_BOT_TOKEN, FakeSlack } from "./fakes/slack-server";
import { SEED_FAILURE, SEED_SUCCESS } from "./fixtures/events";

async function apiError(promise: Promise<unknown>): Promise<SlackApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SlackApiError, `not a SlackApiError: ${String(error)}`);
    return error;
  }
  assert.fail("expected a SlackApiError");
}

describe("Slack Web API client (bot token mode) against the fake", function () {
  this.timeout(30_000);
  let slack: FakeSlack;
  let main: string;
  let outside: string;
  const api = (token = FAKE_BOT_TOKEN) =>
    new SlackWebApi({ token, apiUrl: slack.apiUrl, retry: { retries: 2, minTimeout: 10, maxTimeout: 20 } });

  before(async () => {
    slack = await FakeSlack.start();
    main = slack.api.addChannel("devops-backup");
    outside = slack.api.addChannel("devops-alerts", { member: false });
  });
  after(() => slack.close());
  beforeEach(() => {
    slack.reset();
    slack.api.setScopes(["chat:write", "files:write", "channels:read"]);
  });

  it("must post the seed text and blocks with chat.postMessage and answer the message's channel id and ts", async () => {
    const payload = buildPayload(SEED_SUCCESS, { timeZone: "Asia/Seoul" });
    const ref = await api().postMessage("#devops-backup", payload);
    assert.equal(ref.channel, main);
    const posted = slack.api.message(main, ref.ts);
    assert.equal(posted?.text, payload.text);
    assert.deepEqual(posted?.blocks, payload.blocks);
    assert.equal(posted?.text?.split("\n")[0], "✅ 백업 작업 성공");
  });

  it("must post a reply in the thread of thread_ts, and give each message its permalink", async () => {
    const client = api();
    const parent = await client.postMessage(main, { text: "parent" });
    const reply = await client.postMessage(main, { text: "reply" }, parent.ts);
    assert.equal(slack.api.message(main, reply.ts)?.threadTs, parent.ts);
    assert.equal(
      await client.permalink(parent),
      `https://drox.slack.com/archives/${main}/p${parent.ts.replace(".", "")}`,
    );
    assert.equal(
      await client.permalink(reply),
      `https://drox.slack.com/archives/${main}/p${reply.ts.replace(".", "")}?thread_ts=${parent.ts}&cid=${main}`,
    );
  });

  it("must replace the message's text and blocks with chat.update", async () => {
    const client = api();
    const ref = await client.postMessage(main, { text: "before" });
    const after = buildPayload(SEED_FAILURE, { timeZone: "Asia/Seoul" });
    await client.update(ref, after);
    const message = slack.api.message(main, ref.ts);
    assert.equal(message?.text, after.text);
    assert.equal(message?.edits, 1);
    assert.equal(slack.api.posts().length, 1);
  });

  it("must refuse without retrying when the bot is not in the channel, naming the /invite to type", async () => {
    const error = await apiError(api().postMessage(outside, { text: "x" }));
    assert.equal(error.slackError, "not_in_channel");
    assert.equal(error.retryable, false);
    assert.ok(error.message.includes(INVITE_COMMAND), error.message);
    assert.equal(INVITE_COMMAND, "/invite @DROX DevOps Backup");
    assert.equal(slack.api.calls("chat.postMessage").length, 1);
  });

  it("must report channel_not_found, invalid_auth and missing_scope as not retryable", async () => {
    const notFound = await apiError(api().postMessage("C99999999", { text: "x" }));
    assert.deepEqual([notFound.slackError, notFound.retryable], ["channel_not_found", false]);
    const badToken = await apiError(api("xoxb-wrong-token").postMessage(main, { text: "x" }));
    assert.deepEqual([badToken.slackError, badToken.retryable], ["invalid_auth", false]);
    assert.ok(!badToken.message.includes("xoxb-wrong-token"));
    slack.api.setScopes(["channels:read"]);
    const scope = await apiError(api().postMessage(main, { text: "x" }));
    assert.deepEqual([scope.slackError, scope.retryable], ["missing_scope", false]);
    assert.ok(scope.message.includes("needs chat:write"), scope.message);
    assert.equal(slack.api.posts().length, 0);
  });

  it("must wait out a 429 ratelimited for its Retry-After and then post once", async () => {
    slack.api.fail("chat.postMessage", "ratelimited", 1, { status: 429, retryAfter: 1 });
    const started = Date.now();
    await api().postMessage(main, { text: "after the limit" });
    assert.ok(Date.now() - started >= 1_000, "posted before Retry-After elapsed");
    assert.deepEqual(
      slack.api.calls("chat.postMessage").map((c) => c.status),
      [429, 200],
    );
    assert.equal(slack.api.posts().length, 1);
  });

  it("must route the SDK's own log lines through ours, marked as the SDK's and scrubbed", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    slack.api.fail("chat.postMessage", "ratelimited", 1, { status: 429, retryAfter: 1 });
    const client = new SlackWebApi({
      token: FAKE_BOT_TOKEN,
      apiUrl: slack.apiUrl,
      retry: { retries: 2, minTimeout: 10, maxTimeout: 20 },
      logger: createLogger({ level: "debug", destination }),
    });
    await client.postMessage(main, { text: "after the limit" });
    const sdk = lines
      .map((line) => JSON.parse(line) as { sdk?: string; msg?: string; level?: number })
      .filter((entry) => entry.sdk === "@slack/web-api");
    assert.ok(sdk.length > 0, lines.join("\n"));
    assert.ok(
      sdk.some((entry) => /rate limit/i.test(entry.msg ?? "")),
      lines.join("\n"),
    );
    assert.ok(!lines.join("\n").includes(FAKE_BOT_TOKEN));
  });

  it("must enforce one message a second per channel when asked, as chat.postMessage's rate limit", async () => {
    slack.api.enforceChannelRate(1);
    const client = api();
    const started = Date.now();
    await Promise.all([1, 2, 3].map((n) => client.postMessage(main, { text: `m${n}` })));
    const at = slack.api.posts(main).map((m) => m.at);
    assert.equal(at.length, 3);
    assert.ok(at[1]! - at[0]! >= 1_000 && at[2]! - at[1]! >= 1_000, `spacing ${at.join(",")}`);
    assert.ok(Date.now() - started >= 2_000);
  });

  it("must report auth.test's team, bot and the token's scopes", async () => {
    const auth = await api().authTest();
    assert.equal(auth.team, "DROX");
    assert.equal(auth.botId, "B0FAKEBOT");
    assert.deepEqual(auth.scopes, ["chat:write", "files:write", "channels:read"]);
  });

  it("must say whether the bot is a member of a channel (conversations.info)", async () => {
    assert.equal((await api().channelInfo(main)).isMember, true);
    const info = await api().channelInfo(outside);
    assert.deepEqual([info.name, info.isMember], ["devops-alerts", false]);
  });

  it("must upload a file through getUploadURLExternal and completeUploadExternal, into a thread", async () => {
    const client = api();
    const parent = await client.postMessage(main, { text: "📊 1주차 백업 리포트" });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const { fileId } = await client.uploadFile({
      channel: main,
      filename: "weekly.png",
      data: png,
      title: "최근 8주",
      threadTs: parent.ts,
    });
    const [upload] = slack.api.uploads();
    assert.equal(upload?.fileId, fileId);
    assert.deepEqual(upload?.bytes, png);
    assert.equal(upload?.declaredLength, png.length);
    assert.deepEqual([upload?.channel, upload?.threadTs, upload?.title], [main, parent.ts, "최근 8주"]);
    assert.deepEqual(
      slack.api.calls().map((c) => c.method),
      ["chat.postMessage", "files.getUploadURLExternal", "files.completeUploadExternal"],
    );
  });

  it("must refuse an upload to a channel the bot is not in, and one without files:write", async () => {
    const notIn = await apiError(
      api().uploadFile({ channel: outside, filename: "a.png", data: Buffer.from("png") }),
    );
    assert.equal(notIn.slackError, "not_in_channel");
    slack.api.setScopes(["chat:write"]);
    const scope = await apiError(
      api().uploadFile({ channel: main, filename: "a.png", data: Buffer.from("x") }),
    );
    assert.equal(scope.slackError, "missing_scope");
  });

  describe("errors as Slack's methods document them", () => {
    it("must say what to do for each error the bot can fix, naming the channel when known", () => {
      // https://docs.slack.dev/reference/methods/chat.postMessage "Errors".
      assert.equal(
        apiAdvice("not_in_channel", "#devops-alerts"),
        `the bot is not in the channel (#devops-alerts): type ${INVITE_COMMAND} in it`,
      );
      assert.match(
        apiAdvice("channel_not_found", "#x"),
        /^the channel \(#x\) does not exist or the bot cannot see it/,
      );
      assert.match(apiAdvice("channel_not_found"), /^the channel does not exist/);
      assert.equal(
        apiAdvice("is_archived", "#old"),
        "the channel (#old) is archived: unarchive it or configure another one",
      );
      for (const code of [
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
      ]) {
        assert.match(
          apiAdvice(code),
          /^Slack does not accept the bot token: copy the Bot User OAuth Token/,
          code,
        );
      }
      assert.match(apiAdvice("missing_scope"), /add chat:write, files:write, channels:read under OAuth/);
      assert.equal(apiAdvice("fatal_error"), "see the Slack error above");
    });

    it("must call an unknown Slack error retryable, with the code and advice in the message", async () => {
      slack.api.fail("chat.postMessage", "fatal_error", 1);
      const error = await apiError(api().postMessage(main, { text: "x" }));
      assert.deepEqual(
        [error.message, error.slackError, error.retryable, error.method],
        [
          "Slack chat.postMessage: fatal_error — see the Slack error above",
          "fatal_error",
          true,
          "chat.postMessage",
        ],
      );
    });

    it("must call an archived channel, a missing message and a bad argument final", async () => {
      for (const code of [
        "is_archived",
        "message_not_found",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
      ]) {
        slack.api.fail("chat.postMessage", code, 1);
        const error = await apiError(api().postMessage(main, { text: "x" }));
        assert.deepEqual([error.slackError, error.retryable], [code, false], code);
      }
    });

    it("must call Slack's 5xx outage retryable with the HTTP status, after the client's own retries", async () => {
      slack.api.outage(503);
      const error = await apiError(api().postMessage(main, { text: "x" }));
      assert.deepEqual(
        [error.message, error.statusCode, error.retryable, error.slackError],
        ["Slack chat.postMessage: HTTP 503", 503, true, undefined],
      );
      assert.equal(slack.api.calls("chat.postMessage").length, 3, "the first request and 2 retries");
    });

    it("must call an unreachable Slack retryable, without the token", async () => {
      const client = new SlackWebApi({
        token: FAKE_BOT_TOKEN,
        apiUrl: "http://127.0.0.1:1/api/",
        retry: { retries: 0 },
        timeoutMs: 500,
      });
      const error = await apiError(client.authTest());
      assert.equal(error.retryable, true);
      assert.match(error.message, /^Slack auth\.test: /);
      assert.ok(!error.message.includes(FAKE_BOT_TOKEN));
    });
  });

  it("must report auth.test's user and workspace URL, and an archived channel", async () => {
    const auth = await api().authTest();
    assert.deepEqual([auth.user, auth.url], ["drox_devops_backup", "https://drox.slack.com/"]);
    const archived = slack.api.addChannel("devops-old", { archived: true });
    const info = await api().channelInfo(archived);
    assert.deepEqual(info, { id: archived, name: "devops-old", isMember: true, isArchived: true });
  });

  it("must upload to the channel itself without a thread, titled by the file name, with a comment", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await api().uploadFile({ channel: main, filename: "weekly.png", data: png, initialComment: "최근 8주" });
    const [upload] = slack.api.uploads();
    assert.deepEqual(
      [upload?.channel, upload?.threadTs, upload?.title, upload?.initialComment],
      [main, undefined, "weekly.png", "최근 8주"],
    );
  });
});

/**
 * Answers the fake never gives: `ok: true` without the fields a method documents, `ok: false`
 * without an error string, a request that never ends. The client must fail on them, retryable,
 * rather than hand on an undefined channel, ts, permalink or file id.
 */
describe("Slack Web API client against answers missing their fields", function () {
  this.timeout(30_000);
  let server: Server;
  let apiUrl: string;
  let answer: (method: string) => Record<string, unknown> | "stall";
  const bodies: { method: string; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const method = (req.url ?? "").replace(/^\/api\//, "");
        bodies.push({ method, body });
        const out = answer(method);
        if (out === "stall") return;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address && typeof address === "object");
    apiUrl = `http://127.0.0.1:${address.port}/api/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    bodies.length = 0;
    answer = () => ({ ok: true });
  });
  const api = (extra: { timeoutMs?: number; logger?: ReturnType<typeof createLogger> } = {}) =>
    new SlackWebApi({ token: FAKE_BOT_TOKEN, apiUrl, retry: { retries: 0 }, ...extra });

  it("must refuse a posted message without channel or ts, a permalink-less and a file-less answer", async () => {
    answer = () => ({ ok: true, channel: "C1" });
    const noTs = await apiError(api().postMessage("C1", { text: "x" }));
    assert.deepEqual(
      [noTs.message, noTs.method, noTs.retryable],
      ["Slack chat.postMessage: answer without channel or ts", "chat.postMessage", true],
    );
    answer = () => ({ ok: true, ts: "1.2" });
    assert.equal((await apiError(api().postMessage("C1", { text: "x" }))).method, "chat.postMessage");
    answer = () => ({ ok: true });
    const noLink = await apiError(api().permalink({ channel: "C1", ts: "1.2" }));
    assert.deepEqual(
      [noLink.message, noLink.method, noLink.retryable],
      ["Slack chat.getPermalink: answer without permalink", "chat.getPermalink", true],
    );
    answer = (method) =>
      method === "files.getUploadURLExternal"
        ? { ok: true, upload_url: `${apiUrl}upload`, file_id: "F1" }
        : method === "files.completeUploadExternal"
          ? { ok: true, files: [{ title: "no id" }] }
          : { ok: true };
    const noFile = await apiError(
      api().uploadFile({ channel: "C1", filename: "a.png", data: Buffer.from("png") }),
    );
    assert.deepEqual(
      [noFile.message, noFile.method, noFile.retryable],
      ["Slack files.completeUploadExternal: answer without a file id", "files.completeUploadExternal", true],
    );
  });

  it("must post without unfurling links, since the messages link to reports and logs", async () => {
    answer = () => ({ ok: true, channel: "C1", ts: "1.2" });
    assert.deepEqual(await api().postMessage("C1", { text: "x" }), { channel: "C1", ts: "1.2" });
    const posted = new URLSearchParams(bodies[0]!.body);
    assert.equal(posted.get("unfurl_links"), "false");
  });

  it("must fall back to the asked channel and to no membership when conversations.info answers no channel", async () => {
    assert.deepEqual(await api().channelInfo("C9"), {
      id: "C9",
      name: "C9",
      isMember: false,
      isArchived: false,
    });
    const auth = await api().authTest();
    assert.deepEqual([auth.team, auth.user, auth.scopes], ["", "", []]);
  });

  it("must call an answer ok: false without an error string unknown_error, retryable", async () => {
    answer = () => ({ ok: false });
    const error = await apiError(api().postMessage("C1", { text: "x" }));
    assert.deepEqual([error.slackError, error.retryable], ["unknown_error", true]);
  });

  it("must name the method of every call that fails", async () => {
    answer = () => ({ ok: false, error: "fatal_error" });
    const calls: [string, Promise<unknown>][] = [
      ["chat.update", api().update({ channel: "C1", ts: "1.2" }, { text: "x" })],
      ["chat.getPermalink", api().permalink({ channel: "C1", ts: "1.2" })],
      ["conversations.info", api().channelInfo("C1")],
      ["files.uploadV2", api().uploadFile({ channel: "C1", filename: "a.png", data: Buffer.from("png") })],
    ];
    for (const [method, call] of calls) {
      const error = await apiError(call);
      assert.equal(error.method, method);
      assert.match(error.message, new RegExp(`^Slack ${method.replace(".", "\\.")}: fatal_error`));
    }
  });

  it("must give up on a request after the timeout asked for, not the default 5 s", async () => {
    answer = () => "stall";
    const started = Date.now();
    const error = await apiError(api({ timeoutMs: 200 }).authTest());
    assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`);
    assert.equal(error.retryable, true);
    assert.doesNotMatch(error.message, /HTTP/);
  });
});
