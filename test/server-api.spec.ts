/**
 * The HTTP API's own behaviour — auth, limits, error shape, validation, idempotency, background
 * runs — over real HTTP on loopback, with small in-test implementations of ServiceDeps so every
 * outcome (including upstream failures) can be produced on demand. The same routes against the
 * real Slack/Notion/AWS modules, the fakes and moto are in server-integration.spec.ts.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ConfigError, DroxError } from "../runtime/contract/errors";
import type { BackupResult, Drill, DroxEvent, MonthlyReport, WeeklyReport } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { buildServer, DEFAULT_BODY_LIMIT } from "../runtime/server/app";
import { bearerToken } from "../runtime/server/auth";
import { HttpError, mapError } from "../runtime/server/errors";
import { parseOr400 } from "../runtime/server/validation";
import { createServiceDepsFromEnv } from "../runtime/server/wiring";
import type { BackupRunOptions, DrillRunOptions, RunType, ServiceDeps } from "../runtime/server/deps";
import { NOTION_CHECKS, SLACK_CHECKS } from "../runtime/server/troubleshooting";
import { SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";
import { MemoryHistory } from "./support/memory-history";
import type { HistoryPage, HistoryQuery } from "../runtime/history/store";

const TOKEN = "sentinel-api-token-3f9a1c7e5b2d4a6f";
const WEBHOOK = "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/sentinelWebhookSecret42";

interface Harness {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly logs: string[];
  readonly history: MemoryHistory;
  readonly published: DroxEvent[];
  readonly runs: { type: RunType; options: BackupRunOptions }[];
  readonly calls: { slack: number; notion: number; reportDates: (string | undefined)[] };
  /** Replace to make an upstream fail or stall. */
  behaviour: {
    slack: () => Promise<void>;
    notion: () => Promise<{ pageId: string }>;
    publish: (event: DroxEvent) => Promise<string>;
    run: (type: RunType, options: BackupRunOptions) => Promise<readonly BackupResult[]>;
  };
}

async function start(overrides: Partial<ServiceDeps> = {}, runDrainMs = 2_000): Promise<Harness> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  const history = new MemoryHistory();
  const published: DroxEvent[] = [];
  const runs: Harness["runs"] = [];
  const calls: Harness["calls"] = { slack: 0, notion: 0, reportDates: [] };
  const behaviour: Harness["behaviour"] = {
    slack: async () => undefined,
    notion: async () => ({ pageId: "page-0001" }),
    publish: async (event) => {
      published.push(event);
      return `msg-${published.length}`;
    },
    run: async (type) => [{ ...SEED_SUCCESS, type: type === "ALL" ? "EBS" : type }],
  };
  const deps: ServiceDeps = {
    apiToken: TOKEN,
    logger: createLogger({ level: "debug", destination }),
    slack: {
      sendTest: () => {
        calls.slack += 1;
        return behaviour.slack();
      },
    },
    notion: {
      writeTestPage: () => {
        calls.notion += 1;
        return behaviour.notion();
      },
    },
    backups: {
      run: (type, options) => {
        runs.push({ type, options });
        return behaviour.run(type, options);
      },
    },
    history,
    publisher: { publish: (event) => behaviour.publish(event) },
    reports: {
      send: async ({ reportDate }) => {
        calls.reportDates.push(reportDate);
        return SEED_REPORT as WeeklyReport;
      },
    },
    ...overrides,
  };
  const app = await buildServer(deps, { runDrainMs });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  assert.ok(address && typeof address === "object");
  return {
    app,
    base: `http://127.0.0.1:${address.port}`,
    logs,
    history,
    published,
    runs,
    calls,
    behaviour,
  };
}

const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, "content-type": "application/json" };

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // non-JSON answers fail the assertions that expect JSON
  }
  return { status: res.status, headers: res.headers, text, body };
}

function post(base: string, path: string, body?: unknown, headers: Record<string, string> = JSON_AUTH) {
  return call(base, path, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

function errorOf(answer: Answer): { code: string; message: string; issues?: unknown; checks?: string[] } {
  const error = answer.body.error as { code: string; message: string; issues?: unknown; checks?: string[] };
  assert.ok(error && typeof error.code === "string" && typeof error.message === "string", answer.text);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  return error;
}

const API_ROUTES: readonly { method: "GET" | "POST"; path: string }[] = [
  { method: "POST", path: "/api/test/slack" },
  { method: "POST", path: "/api/test/notion" },
  { method: "POST", path: "/api/backups/run" },
  { method: "GET", path: "/api/backups/runs/01J0000000000000000000000" },
  { method: "POST", path: "/api/backups/report" },
  { method: "GET", path: "/api/backups/jobs" },
  { method: "POST", path: "/api/reports/weekly" },
];

describe("HTTP API (in-process dependencies)", () => {
  let h: Harness;

  beforeEach(async () => {
    h = await start();
  });

  afterEach(async () => {
    await h.app.close();
    const leaked = h.logs.filter((line) => line.includes(TOKEN) || line.includes(WEBHOOK));
    assert.deepEqual(leaked, [], "a secret reached the log");
  });

  describe("health and request ids", () => {
    it("must answer GET /health without a token, cheaply and without secrets", async () => {
      const answer = await call(h.base, "/health");
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { status: "ok" });
      assert.equal(h.calls.slack + h.calls.notion, 0);
    });

    it("must keep the ALB's health polls out of the info log that other requests reach", async () => {
      await call(h.base, "/health");
      await call(h.base, "/api/backups/jobs", { headers: AUTH });
      const completed = h.logs
        .map((line) => JSON.parse(line) as { msg?: string; url?: string })
        .filter((entry) => entry.msg === "request completed")
        .map((entry) => entry.url);
      assert.deepEqual(completed, ["/api/backups/jobs"]);
    });

    it("must return the caller's x-request-id and log it, and make one up when it is absent or unsafe", async () => {
      const given = await call(h.base, "/api/backups/jobs", {
        headers: { ...AUTH, "x-request-id": "trace-42.a" },
      });
      assert.equal(given.headers.get("x-request-id"), "trace-42.a");
      assert.ok(h.logs.some((line) => JSON.parse(line).requestId === "trace-42.a"));

      const made = await call(h.base, "/health");
      assert.match(made.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);

      const unsafe = await call(h.base, "/health", { headers: { "x-request-id": "bad id\twith spaces" } });
      assert.match(unsafe.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    });
  });

  describe("auth", () => {
    for (const route of API_ROUTES) {
      it(`must answer 401 JSON to ${route.method} ${route.path} without a token or with a wrong one`, async () => {
        const variants: Record<string, string>[] = [
          {},
          { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
          { authorization: `Bearer ${TOKEN}-longer` },
          { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}` },
          { authorization: TOKEN },
        ];
        for (const headers of variants) {
          const answer = await call(h.base, route.path, { method: route.method, headers });
          assert.equal(answer.status, 401, `${JSON.stringify(headers)} → ${answer.text}`);
          assert.equal(errorOf(answer).code, "UNAUTHORIZED");
          assert.equal(answer.headers.get("www-authenticate"), 'Bearer realm="drox-backup"');
          assert.ok(!answer.text.includes(TOKEN));
        }
        assert.equal(h.calls.slack + h.calls.notion + h.runs.length + h.calls.reportDates.length, 0);
      });
    }

    it("must protect the HEAD twins of GET routes and percent-encoded paths too", async () => {
      for (const [method, path] of [
        ["HEAD", "/api/backups/jobs"],
        ["GET", "/%61pi/backups/jobs"],
        ["GET", "/api/backups/%6Aobs"],
      ] as const) {
        const answer = await call(h.base, path, { method });
        assert.equal(answer.status, 401, `${method} ${path}`);
      }
      assert.equal(h.history.queries.length, 0);
    });

    it("must accept the right token with any case of the Bearer scheme", async () => {
      const answer = await call(h.base, "/api/backups/jobs", {
        headers: { authorization: `bearer ${TOKEN}` },
      });
      assert.equal(answer.status, 200, answer.text);
    });

    it("must refuse to start with a guessable API token", async () => {
      await assert.rejects(
        start({ apiToken: "short-token" }),
        (error: unknown) => error instanceof ConfigError && /at least 16 characters/.test(error.message),
      );
    });

    it("must refuse a header that is not exactly the Bearer scheme and one token (RFC 6750 section 2.1)", async () => {
      // credentials = "Bearer" 1*SP b64token: nothing before the scheme, nothing after the token.
      for (const authorization of [
        `xBearer ${TOKEN}`,
        `Basic Bearer ${TOKEN}`,
        `Bearer ${TOKEN} ${TOKEN}`,
        `Bearer ${TOKEN} extra`,
        `Bearer${TOKEN}`,
      ]) {
        const answer = await call(h.base, "/api/backups/jobs", { headers: { authorization } });
        assert.equal(answer.status, 401, authorization.replace(TOKEN, "<token>"));
      }
      assert.equal(h.history.queries.length, 0);
    });

    it("must accept the token after more than one space or a tab, as RFC 6750's 1*SP allows", async () => {
      for (const authorization of [`Bearer  ${TOKEN}`, `Bearer \t ${TOKEN}`, `Bearer\t${TOKEN}`]) {
        const answer = await call(h.base, "/api/backups/jobs", { headers: { authorization } });
        assert.equal(answer.status, 200, answer.text);
      }
    });

    it("must take the token alone from a header with trailing whitespace", () => {
      // HTTP parsers strip it before the service sees the header; the function must not depend on that.
      assert.equal(bearerToken("Bearer abc.def \t "), "abc.def");
      assert.equal(bearerToken("Bearer abc.def"), "abc.def");
      assert.equal(bearerToken(undefined), undefined);
      assert.equal(bearerToken("Bearer "), undefined);
    });

    it("must tell a missing token from a wrong one, in the answer and in the log", async () => {
      const missing = await call(h.base, "/api/backups/jobs");
      // The docs: every /api/* route needs `Authorization: Bearer <apiToken>`.
      assert.match(errorOf(missing).message, /Authorization: Bearer </);
      const wrong = await call(h.base, "/api/backups/jobs", {
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      assert.match(errorOf(wrong).message, /does not match/);
      assert.doesNotMatch(errorOf(wrong).message, /Authorization: Bearer/);
      const rejected = h.logs
        .map((line) => JSON.parse(line) as { msg?: string; reason?: string; level?: number })
        .filter((entry) => entry.msg === "rejected request without a valid bearer token")
        .map((entry) => [entry.reason, entry.level]);
      // pino's level 40 is warn: a rejected token is worth a look, not a page.
      assert.deepEqual(rejected, [
        ["missing", 40],
        ["mismatch", 40],
      ]);
    });

    it("must accept a token of exactly 16 characters, the documented minimum", async () => {
      const exact = "Sentinel0Exact16";
      assert.equal(exact.length, 16);
      const app = await start({ apiToken: exact });
      try {
        const answer = await call(app.base, "/api/backups/jobs", {
          headers: { authorization: `Bearer ${exact}` },
        });
        assert.equal(answer.status, 200, answer.text);
      } finally {
        await app.app.close();
      }
    });

    it("must say how to generate a token when the configured one is too short", async () => {
      await assert.rejects(start({ apiToken: "short-token" }), {
        name: "ConfigError",
        message:
          "the API token (API_TOKEN or API_TOKEN_SECRET_ARN) must be at least 16 characters; " +
          "generate one with `openssl rand -hex 32`",
      });
    });

    it("must mask the API token wherever it would appear in an answer", async () => {
      // A token no other test uses, so only the service's own registration can mask it.
      const token = `sentinel-unique-${randomUUID()}`;
      const app = await start({ apiToken: token });
      try {
        app.behaviour.slack = async () => {
          throw new DroxError(`upstream echoed ${token} back`, { retryable: false, statusCode: 400 });
        };
        const answer = await post(app.base, "/api/test/slack", undefined, {
          authorization: `Bearer ${token}`,
        });
        assert.equal(answer.status, 502, answer.text);
        assert.equal(
          errorOf(answer).message,
          "Slack test failed (HTTP 400): upstream echoed [REDACTED] back",
        );
        assert.ok(!app.logs.some((line) => line.includes(token)), "the token reached the log");
      } finally {
        await app.app.close();
      }
    });
  });

  describe("request bodies", () => {
    it("must answer malformed JSON with 400 JSON", async () => {
      const answer = await post(h.base, "/api/backups/report", '{"schema": "backup.result.v1",');
      assert.equal(answer.status, 400);
      assert.equal(errorOf(answer).code, "MALFORMED_JSON");
      assert.equal(h.published.length, 0);
    });

    it("must answer a body over the limit with 413 JSON before reading it all", async () => {
      const big = { ...SEED_SUCCESS, improvement: "x".repeat(DEFAULT_BODY_LIMIT) };
      const answer = await post(h.base, "/api/backups/report", big);
      assert.equal(answer.status, 413);
      assert.equal(errorOf(answer).code, "PAYLOAD_TOO_LARGE");
      assert.equal(h.history.records.size, 0);
    });

    it("must answer a non-JSON content type with 415 JSON", async () => {
      const answer = await post(h.base, "/api/backups/report", "jobId=1", {
        ...AUTH,
        "content-type": "application/x-www-form-urlencoded",
      });
      assert.equal(answer.status, 415);
      assert.equal(errorOf(answer).code, "UNSUPPORTED_MEDIA_TYPE");
    });

    it("must answer a text/plain body with 415 JSON, not 400, and record nothing", async () => {
      const answer = await post(h.base, "/api/backups/report", JSON.stringify(SEED_SUCCESS), {
        ...AUTH,
        "content-type": "text/plain",
      });
      assert.equal(answer.status, 415);
      assert.deepEqual(answer.body, {
        error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "send the body as application/json" },
      });
      assert.equal(h.history.records.size, 0);
      assert.equal(h.published.length, 0);
    });

    it("must answer unknown routes with 404 JSON, with or without a token", async () => {
      for (const headers of [{}, AUTH]) {
        const answer = await call(h.base, "/api/nothing-here", { headers });
        assert.equal(answer.status, 404);
        assert.deepEqual(answer.body, {
          error: { code: "NOT_FOUND", message: "no route GET /api/nothing-here" },
        });
      }
    });
  });

  describe("POST /api/test/slack and /api/test/notion", () => {
    it("must send one test message and say so", async () => {
      const answer = await post(h.base, "/api/test/slack");
      assert.equal(answer.status, 200);
      assert.equal(answer.body.ok, true);
      // The docs: the test message goes to the main webhook.
      assert.match(String(answer.body.message), /sent to the main Slack webhook/);
      assert.equal(h.calls.slack, 1);
    });

    it("must name the upstream HTTP status only when a typed upstream error carries one", async () => {
      const failures: [Error, string][] = [
        [
          new DroxError("Slack did not answer", { retryable: true }),
          "Slack test failed: Slack did not answer",
        ],
        // Not one of our typed errors: its statusCode is nobody's answer to report.
        [Object.assign(new Error("socket closed"), { statusCode: 500 }), "Slack test failed: socket closed"],
        [
          new DroxError("Slack refused it", { retryable: false, statusCode: 403 }),
          "Slack test failed (HTTP 403): Slack refused it",
        ],
      ];
      for (const [error, message] of failures) {
        h.behaviour.slack = async () => {
          throw error;
        };
        const answer = await post(h.base, "/api/test/slack");
        assert.equal(answer.status, 502, answer.text);
        assert.equal(errorOf(answer).message, message);
      }
    });

    it("must log a failed Slack or Notion test as a warning with the error", async () => {
      h.behaviour.slack = async () => {
        throw new DroxError("Slack refused it", { retryable: false, statusCode: 403 });
      };
      h.behaviour.notion = async () => {
        throw new DroxError("Notion refused it", { retryable: false, statusCode: 401 });
      };
      await post(h.base, "/api/test/slack");
      await post(h.base, "/api/test/notion");
      const warnings = h.logs
        .map((line) => JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } })
        .filter((entry) => entry.level === 40)
        .map((entry) => [entry.msg, entry.err?.message]);
      assert.deepEqual(warnings, [
        ["Slack test message failed", "Slack refused it"],
        ["Notion test page failed", "Notion refused it"],
      ]);
    });

    it("must accept an empty JSON body as PowerShell's Invoke-RestMethod sends it", async () => {
      const answer = await post(h.base, "/api/test/slack", "");
      assert.equal(answer.status, 200, answer.text);
    });

    it("must report a Slack failure with what to check, leading with the likeliest cause, without the webhook", async () => {
      h.behaviour.slack = async () => {
        throw new DroxError(`Slack answered 404 no_service for ${WEBHOOK}`, {
          retryable: false,
          statusCode: 404,
        });
      };
      const answer = await post(h.base, "/api/test/slack");
      assert.equal(answer.status, 502);
      const error = errorOf(answer);
      assert.equal(error.code, "SLACK_TEST_FAILED");
      assert.match(
        error.message,
        /^Slack test failed \(HTTP 404\): Slack answered 404 no_service for \[REDACTED\]$/,
      );
      assert.deepEqual(error.checks, [...SLACK_CHECKS]);
      assert.ok(!answer.text.includes(WEBHOOK));
    });

    it("must say which setting is missing when Slack is not configured", async () => {
      h.behaviour.slack = async () => {
        throw new ConfigError("SLACK_WEBHOOK_URL or SLACK_WEBHOOK_SECRET_ARN must be set");
      };
      const answer = await post(h.base, "/api/test/slack");
      assert.equal(answer.status, 503);
      const error = errorOf(answer);
      assert.equal(error.code, "NOT_CONFIGURED");
      assert.match(error.message, /SLACK_WEBHOOK_URL or SLACK_WEBHOOK_SECRET_ARN must be set/);
      assert.equal(error.checks?.[0], SLACK_CHECKS[3]);
      assert.equal(error.checks?.length, SLACK_CHECKS.length);
    });

    it("must write a test page and return its id", async () => {
      const answer = await post(h.base, "/api/test/notion");
      assert.equal(answer.status, 200);
      assert.equal(answer.body.ok, true);
      assert.match(String(answer.body.message), /test page was written to the Notion database/);
      assert.equal(answer.body.pageId, "page-0001");
      assert.equal(h.calls.notion, 1);
    });

    it("must point at the connection and the database id when Notion cannot find the database", async () => {
      h.behaviour.notion = async () => {
        throw new DroxError("Could not find database with ID: abc", { retryable: false, statusCode: 404 });
      };
      const answer = await post(h.base, "/api/test/notion");
      assert.equal(answer.status, 502);
      const error = errorOf(answer);
      assert.equal(error.code, "NOTION_TEST_FAILED");
      assert.deepEqual(error.checks?.slice(0, 2), [NOTION_CHECKS[2], NOTION_CHECKS[1]]);
      assert.equal(new Set(error.checks).size, NOTION_CHECKS.length);
    });
  });

  describe("POST /api/backups/report", () => {
    it("must name every invalid field and its problem, and record nothing", async () => {
      const answer = await post(h.base, "/api/backups/report", {
        ...SEED_FAILURE,
        error: undefined,
        status: "FAILED",
        type: "TAPE",
        durationSeconds: -1,
      });
      assert.equal(answer.status, 400);
      const error = errorOf(answer);
      assert.equal(error.code, "VALIDATION_FAILED");
      assert.deepEqual(error.issues, [
        { field: "type", problem: 'Invalid option: expected one of "EBS"|"RDS"|"S3"|"LOCAL_HDD"' },
        { field: "durationSeconds", problem: "must not be negative" },
      ]);
      assert.equal(h.history.records.size, 0);
      assert.equal(h.published.length, 0);
    });

    it("must require a result event, not a report", async () => {
      const answer = await post(h.base, "/api/backups/report", SEED_REPORT);
      assert.equal(answer.status, 400);
      assert.deepEqual(errorOf(answer).issues, [{ field: "schema", problem: "must be backup.result.v1" }]);
    });

    it("must record and publish a result once, and answer a repeat with duplicate: true", async () => {
      const local = { ...SEED_SUCCESS, jobId: "hdd-2024-11-04", type: "LOCAL_HDD", resource: "nas-01" };
      const first = await post(h.base, "/api/backups/report", local);
      assert.equal(first.status, 201, first.text);
      assert.deepEqual(first.body, { jobId: "hdd-2024-11-04", duplicate: false, messageId: "msg-1" });
      const again = await post(h.base, "/api/backups/report", { ...local, resource: "changed" });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { jobId: "hdd-2024-11-04", duplicate: true });
      assert.equal(h.published.length, 1);
      assert.deepEqual(h.history.records.get("hdd-2024-11-04"), local);
    });

    it("must publish once when the same job is reported many times at once", async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(h.base, "/api/backups/report", SEED_FAILURE)),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(h.published.length, 1);
      assert.equal(h.history.records.size, 1);
    });

    it("must publish once when reports of one job overlap while the first is still publishing", async () => {
      h.behaviour.publish = async (event) => {
        await new Promise((r) => setTimeout(r, 150));
        h.published.push(event);
        return `msg-${h.published.length}`;
      };
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => post(h.base, "/api/backups/report", SEED_FAILURE)),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 201]);
      assert.deepEqual(
        answers.filter((a) => a.status === 200).map((a) => a.body),
        Array(3).fill({ jobId: SEED_FAILURE.jobId, duplicate: true }),
      );
      assert.equal(h.published.length, 1);
      const reported = h.logs
        .map((line) => JSON.parse(line) as { msg?: string; jobId?: string; duplicate?: boolean })
        .filter((entry) => entry.msg === "external result reported")
        .map((entry) => [entry.jobId, entry.duplicate]);
      assert.deepEqual(reported, [[SEED_FAILURE.jobId, false]]);
    });

    it("must let an overlapping report record the job itself when the first attempt failed", async () => {
      let calls = 0;
      h.behaviour.publish = async (event) => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 150));
        if (calls === 1) throw new DroxError("SNS Publish failed (Throttling)", { retryable: true });
        h.published.push(event);
        return "msg-second";
      };
      const first = post(h.base, "/api/backups/report", SEED_SUCCESS);
      await new Promise((r) => setTimeout(r, 50));
      const second = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal((await first).status, 503);
      assert.equal(second.status, 201, second.text);
      assert.deepEqual(second.body, { jobId: SEED_SUCCESS.jobId, duplicate: false, messageId: "msg-second" });
    });

    it("must judge a later report by the history alone once the first has finished", async () => {
      const first = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal(first.status, 201);
      // The history forgot the job (its TTL ran out): a new report is a new record, not a duplicate.
      h.history.records.delete(SEED_SUCCESS.jobId);
      const again = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal(again.status, 201, again.text);
      assert.equal(h.published.length, 2);
    });

    it("must record nothing when publishing fails, so the client's retry still notifies", async () => {
      h.behaviour.publish = async () => {
        throw new DroxError("SNS Publish failed (Throttling)", { retryable: true });
      };
      const failed = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal(failed.status, 503);
      assert.equal(errorOf(failed).code, "UPSTREAM_UNAVAILABLE");
      assert.equal(h.history.records.size, 0);

      h.behaviour.publish = async (event) => {
        h.published.push(event);
        return "msg-retry";
      };
      const retried = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal(retried.status, 201);
      assert.equal(h.published.length, 1);
    });

    it("must hide the message of an unexpected error", async () => {
      h.behaviour.publish = async () => {
        throw new Error(`socket hang up talking to ${WEBHOOK} with ${TOKEN}`);
      };
      const answer = await post(h.base, "/api/backups/report", SEED_SUCCESS);
      assert.equal(answer.status, 500);
      assert.deepEqual(answer.body, {
        error: { code: "INTERNAL", message: "internal error; the service log has the details" },
      });
      assert.ok(h.logs.some((line) => line.includes("socket hang up") && line.includes('"level":50')));
    });
  });

  describe("POST /api/backups/run", () => {
    it("must answer 202 with the run id and the one job id its result will carry, at once", async () => {
      let finish!: (results: readonly BackupResult[]) => void;
      h.behaviour.run = () => new Promise((resolve) => (finish = resolve));
      const before = Date.now();
      const answer = await post(h.base, "/api/backups/run", { type: "RDS", resource: "db-instance-1" });
      assert.equal(answer.status, 202);
      const runId = String(answer.body.runId);
      assert.match(runId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const location = `/api/backups/runs/${runId}`;
      assert.deepEqual(answer.body, {
        runId,
        jobIds: [`${runId}-1`],
        type: "RDS",
        resources: ["db-instance-1"],
        status: "RUNNING",
        startedAt: answer.body.startedAt,
        location,
      });
      assert.ok(Date.parse(String(answer.body.startedAt)) >= before - 1);
      assert.equal(answer.headers.get("location"), location);
      // The runner is told the run id, so the result's job id is the one answered.
      assert.deepEqual(
        h.runs.map((r) => [r.type, r.options.resources, r.options.runId]),
        [["RDS", ["db-instance-1"], runId]],
      );

      const running = await call(h.base, location, { headers: AUTH });
      assert.equal(running.body.status, "RUNNING");
      assert.deepEqual(running.body.jobIds, [`${runId}-1`]);

      finish([{ ...SEED_FAILURE, jobId: `${runId}-1` }]);
      await new Promise((r) => setImmediate(r));
      const done = await call(h.base, location, { headers: AUTH });
      assert.equal(done.body.status, "FINISHED");
      assert.equal(done.body.location, location);
      assert.deepEqual(done.body.results, [
        { jobId: `${runId}-1`, type: "RDS", resource: "db-instance-1", status: "FAILED" },
      ]);
      assert.equal(h.history.queries.length, 0, "a run this task knows needs no history read");
    });

    it("must give a multi-target run a run id and no job ids, which are known only once targets are", async () => {
      h.behaviour.run = async (_type, options) => [
        { ...SEED_SUCCESS, jobId: `${options.runId}-1`, resource: "vol-a" },
        { ...SEED_SUCCESS, jobId: `${options.runId}-2`, resource: "vol-b" },
      ];
      for (const body of [{ type: "EBS" }, { type: "ALL" }]) {
        const answer = await post(h.base, "/api/backups/run", body);
        assert.equal(answer.status, 202);
        const runId = String(answer.body.runId);
        assert.equal("jobIds" in answer.body, false, answer.text);
        assert.equal(answer.body.location, `/api/backups/runs/${runId}`);
        assert.equal(h.runs.at(-1)?.options.runId, runId);
        await new Promise((r) => setImmediate(r));
        const done = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
        assert.deepEqual(
          (done.body.results as { jobId: string }[]).map((r) => r.jobId),
          [`${runId}-1`, `${runId}-2`],
        );
      }
    });

    it("must answer for a run this task did not start from the results recorded in the history", async () => {
      const runId = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
      for (const [jobId, resource] of [
        [`${runId}-2`, "vol-b"],
        [`${runId}-10`, "vol-j"],
        [`${runId}-1`, "vol-a"],
        [`${runId}0-1`, "vol-other-run"],
        ["01JC9Z3Q8W6T4Y2K1M0N7P5R3T", "vol-standalone"],
      ] as const) {
        await h.history.put({ ...SEED_SUCCESS, jobId, resource });
      }
      const answer = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body, {
        runId,
        status: "RECORDED",
        results: [
          { jobId: `${runId}-1`, type: "EBS", resource: "vol-a", status: "SUCCEEDED" },
          { jobId: `${runId}-2`, type: "EBS", resource: "vol-b", status: "SUCCEEDED" },
          { jobId: `${runId}-10`, type: "EBS", resource: "vol-j", status: "SUCCEEDED" },
        ],
        location: `/api/backups/runs/${runId}`,
      });
      // Read from the run's start (in its ULID, less a minute of clock slack), by prefix.
      assert.deepEqual(h.history.queries, [
        { jobIdPrefix: `${runId}-`, from: "2024-11-10T02:39:38.172Z", limit: 100 },
      ]);
    });

    it("must page through the history for a run's results, in job order, and stop after 20 pages", async () => {
      const runId = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
      /** Two records a page, the cursor the next record's index; `endless` never ends the listing. */
      class PagedHistory extends MemoryHistory {
        endless = false;
        override async list(query: HistoryQuery): Promise<HistoryPage> {
          this.queries.push(query);
          const all = [...this.records.values()].filter((r) => r.jobId.startsWith(query.jobIdPrefix ?? ""));
          const from = query.cursor === undefined ? 0 : Number(query.cursor);
          const next = from + 2;
          return {
            items: all.slice(from, next),
            ...(this.endless || next < all.length ? { nextCursor: String(next) } : {}),
          };
        }
      }
      const history = new PagedHistory();
      for (const n of [3, 1, 5, 2, 4]) await history.put({ ...SEED_SUCCESS, jobId: `${runId}-${n}` });
      await h.app.close();
      h = await start({ history });
      const answer = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        (answer.body.results as { jobId: string }[]).map((r) => r.jobId),
        [1, 2, 3, 4, 5].map((n) => `${runId}-${n}`),
      );
      assert.deepEqual(
        history.queries.map((q) => q.cursor),
        [undefined, "2", "4"],
      );

      history.queries.length = 0;
      history.endless = true;
      const cut = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
      assert.equal(cut.status, 200, cut.text);
      // A run with more results than 20 pages of 100 is cut off rather than read without end.
      assert.equal(history.queries.length, 20);
    });

    it("must find a run's results with GET /api/backups/jobs?runId=", async () => {
      const runId = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
      await h.history.put({ ...SEED_SUCCESS, jobId: `${runId}-1` });
      await h.history.put({ ...SEED_SUCCESS, jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3T" });
      const answer = await call(h.base, `/api/backups/jobs?runId=${runId}&status=SUCCEEDED`, {
        headers: AUTH,
      });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        (answer.body.items as BackupResult[]).map((r) => r.jobId),
        [`${runId}-1`],
      );
      const explicit = await call(h.base, `/api/backups/jobs?runId=${runId}&from=2024-11-01T00:00:00Z`, {
        headers: AUTH,
      });
      assert.equal(explicit.status, 200, explicit.text);
      assert.deepEqual(h.history.queries, [
        { status: "SUCCEEDED", limit: 20, jobIdPrefix: `${runId}-`, from: "2024-11-10T02:39:38.172Z" },
        { from: "2024-11-01T00:00:00Z", limit: 20, jobIdPrefix: `${runId}-` },
      ]);
      const bad = await call(h.base, "/api/backups/jobs?runId=not%20an%20id", { headers: AUTH });
      assert.deepEqual(errorOf(bad).issues, [
        { field: "runId", problem: "must be a run id as POST /api/backups/run returned it" },
      ]);
    });

    it("must record a run that failed to start as FAILED with a scrubbed reason", async () => {
      h.behaviour.run = async () => {
        throw new ConfigError(`nothing to back up for EBS; webhook ${WEBHOOK}`);
      };
      const answer = await post(h.base, "/api/backups/run", { type: "EBS" });
      assert.equal(answer.status, 202);
      await new Promise((r) => setImmediate(r));
      const state = await call(h.base, `/api/backups/runs/${String(answer.body.runId)}`, { headers: AUTH });
      assert.equal(state.body.status, "FAILED");
      assert.equal(state.body.error, "nothing to back up for EBS; webhook [REDACTED]");
    });

    it("must trim the resource, refuse a blank or over-long one, and leave the targets to the runner without one", async () => {
      const trimmed = await post(h.base, "/api/backups/run", { type: "EBS", resource: "  vol-1 " });
      assert.equal(trimmed.status, 202, trimmed.text);
      assert.deepEqual(trimmed.body.resources, ["vol-1"]);
      for (const resource of ["   ", "v".repeat(1025)]) {
        const answer = await post(h.base, "/api/backups/run", { type: "EBS", resource });
        assert.equal(answer.status, 400, answer.text);
        assert.deepEqual(
          (errorOf(answer).issues as { field: string }[]).map((i) => i.field),
          ["resource"],
        );
      }
      const blank = await post(h.base, "/api/backups/run", { type: "EBS", resource: "" });
      assert.deepEqual(errorOf(blank).issues, [{ field: "resource", problem: "must not be empty" }]);
      const longest = await post(h.base, "/api/backups/run", { type: "EBS", resource: "v".repeat(1024) });
      assert.equal(longest.status, 202, longest.text);
      const all = await post(h.base, "/api/backups/run", { type: "ALL" });
      assert.equal(all.status, 202, all.text);
      // No resource means every configured target; an empty list would mean none.
      assert.deepEqual(
        h.runs.map((r) => r.options.resources),
        [["vol-1"], ["v".repeat(1024)], undefined],
      );
      const started = h.logs
        .map((line) => JSON.parse(line) as { msg?: string; runId?: string; type?: string })
        .filter((entry) => entry.msg === "backup run started")
        .map((entry) => [entry.runId, entry.type]);
      assert.deepEqual(started, [
        [trimmed.body.runId, "EBS"],
        [longest.body.runId, "EBS"],
        [all.body.runId, "ALL"],
      ]);
    });

    it("must reject an unknown type, a resource with ALL and unknown fields, naming each", async () => {
      const cases: [unknown, { field: string; problem: string }[]][] = [
        [{ type: "TAPE" }, [{ field: "type", problem: "must be one of EBS, RDS, S3, ALL" }]],
        [
          { type: "ALL", resource: "vol-1" },
          [{ field: "resource", problem: "needs a single type (EBS, RDS or S3), not ALL" }],
        ],
        [{ type: "EBS", force: true }, [{ field: "(run request)", problem: "unknown field(s): force" }]],
        [undefined, [{ field: "type", problem: "must be one of EBS, RDS, S3, ALL" }]],
      ];
      for (const [body, issues] of cases) {
        const answer = await post(h.base, "/api/backups/run", body);
        assert.equal(answer.status, 400, answer.text);
        assert.deepEqual(errorOf(answer).issues, issues);
      }
      assert.equal(h.runs.length, 0);
    });

    it("must answer 400 VALIDATION_FAILED with a message naming every field and problem, as events do", async () => {
      const answer = await post(h.base, "/api/backups/run", { type: "TAPE", force: true, dryRun: 1 });
      assert.equal(answer.status, 400, answer.text);
      assert.deepEqual(answer.body, {
        error: {
          code: "VALIDATION_FAILED",
          message:
            "invalid run request: type must be one of EBS, RDS, S3, ALL; " +
            "(run request) unknown field(s): force, dryRun",
          issues: [
            { field: "type", problem: "must be one of EBS, RDS, S3, ALL" },
            { field: "(run request)", problem: "unknown field(s): force, dryRun" },
          ],
        },
      });
      assert.equal(h.runs.length, 0);
    });

    it("must name a nested field by its dotted path, as the event issues do", () => {
      const schema = z.strictObject({ target: z.strictObject({ id: z.string() }) });
      assert.throws(
        () => parseOr400(schema, { target: { id: 7 } }, "request"),
        (error: unknown) => {
          assert.ok(error instanceof HttpError);
          assert.deepEqual(mapError(error), {
            status: 400,
            body: {
              error: {
                code: "VALIDATION_FAILED",
                message: "invalid request: target.id Invalid input: expected string, received number",
                issues: [{ field: "target.id", problem: "Invalid input: expected string, received number" }],
              },
            },
          });
          return true;
        },
      );
    });

    it("must answer 503 naming the missing setting, and start nothing, when results could not be recorded", async () => {
      await h.app.close();
      h = await start({
        backups: {
          check: async () => {
            throw new ConfigError("HISTORY_TABLE is not set: it is required for this command");
          },
          run: async (type, options) => {
            h.runs.push({ type, options });
            return [];
          },
        },
      });
      const answer = await post(h.base, "/api/backups/run", { type: "EBS", resource: "vol-1" });
      assert.equal(answer.status, 503, answer.text);
      assert.deepEqual(answer.body, {
        error: {
          code: "NOT_CONFIGURED",
          message: "HISTORY_TABLE is not set: it is required for this command",
        },
      });
      assert.equal(answer.headers.get("location"), null);
      assert.equal(h.runs.length, 0);
    });

    it("must 404 a run neither this task nor the history knows", async () => {
      await h.history.put({ ...SEED_SUCCESS, jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S-1" });
      for (const runId of ["nope", "01JC9Z3Q8W6T4Y2K1M0N7P5R3T", "bad%20id"]) {
        const answer = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
        assert.equal(answer.status, 404, runId);
        assert.equal(errorOf(answer).code, "NOT_FOUND");
        assert.match(errorOf(answer).message, /^no such run/);
      }
      // "bad id" cannot be a run id: answered without reading the history.
      assert.deepEqual(
        h.history.queries.map((q) => q.jobIdPrefix),
        ["nope-", "01JC9Z3Q8W6T4Y2K1M0N7P5R3T-"],
      );
    });

    it("must not mix in the results of a run whose id extends this one's", async () => {
      const runId = "nightly";
      await h.history.put({ ...SEED_SUCCESS, jobId: `${runId}-1` });
      // Run "nightly-1" has the job "nightly-1-1": it starts with "nightly-" too.
      await h.history.put({ ...SEED_SUCCESS, jobId: `${runId}-1-1`, resource: "vol-other-run" });
      const answer = await call(h.base, `/api/backups/runs/${runId}`, { headers: AUTH });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        (answer.body.results as { jobId: string }[]).map((r) => r.jobId),
        [`${runId}-1`],
      );
    });
  });

  describe("GET /api/backups/jobs", () => {
    it("must pass validated filters to the history and return its page", async () => {
      h.history.nextPage = { items: [SEED_FAILURE], nextCursor: "cursor-2" };
      const answer = await call(
        h.base,
        "/api/backups/jobs?from=2024-11-01T00:00:00%2B09:00&to=2024-11-08T00:00:00%2B09:00&status=FAILED&type=RDS&limit=5&cursor=cursor-1",
        { headers: AUTH },
      );
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body, { items: [SEED_FAILURE], nextCursor: "cursor-2" });
      assert.deepEqual(h.history.queries, [
        {
          from: "2024-11-01T00:00:00+09:00",
          to: "2024-11-08T00:00:00+09:00",
          status: "FAILED",
          type: "RDS",
          limit: 5,
          cursor: "cursor-1",
        },
      ]);
    });

    it("must default the page size and reject bad parameters with the field and problem", async () => {
      await call(h.base, "/api/backups/jobs", { headers: AUTH });
      assert.deepEqual(h.history.queries, [{ limit: 20 }]);
      const answer = await call(
        h.base,
        "/api/backups/jobs?limit=0&status=DONE&from=yesterday&to=2024-01-01T00:00:00Z&sort=asc",
        { headers: AUTH },
      );
      assert.equal(answer.status, 400);
      const fields = (errorOf(answer).issues as { field: string }[]).map((i) => i.field);
      assert.deepEqual(fields.sort(), ["(query)", "from", "limit", "status"]);
      const tooMany = await call(h.base, "/api/backups/jobs?limit=101", { headers: AUTH });
      assert.deepEqual(errorOf(tooMany).issues, [{ field: "limit", problem: "must be at most 100" }]);
      const backwards = await call(
        h.base,
        "/api/backups/jobs?from=2024-11-08T00:00:00Z&to=2024-11-01T00:00:00Z",
        { headers: AUTH },
      );
      assert.deepEqual(errorOf(backwards).issues, [{ field: "to", problem: "must be after from" }]);
      assert.equal(h.history.queries.length, 1);
    });
  });

  describe("GET /api/backups/jobs parameters", () => {
    const issuesOf = async (query: string) => {
      const answer = await call(h.base, `/api/backups/jobs?${query}`, { headers: AUTH });
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      return errorOf(answer).issues as { field: string; problem: string }[];
    };

    it("must take a page size from 1 to 100, as the docs say, and name what is wrong with others", async () => {
      for (const limit of ["1", "100"]) {
        const answer = await call(h.base, `/api/backups/jobs?limit=${limit}`, { headers: AUTH });
        assert.equal(answer.status, 200, answer.text);
      }
      assert.deepEqual(
        h.history.queries.map((q) => q.limit),
        [1, 100],
      );
      assert.deepEqual(await issuesOf("limit=ten"), [{ field: "limit", problem: "must be a number" }]);
      assert.deepEqual(await issuesOf("limit=2.5"), [{ field: "limit", problem: "must be a whole number" }]);
      assert.deepEqual(await issuesOf("limit=0"), [{ field: "limit", problem: "must be at least 1" }]);
    });

    it("must want a date-time with an offset and a to after from", async () => {
      const problem = "must be an ISO 8601 date-time, e.g. 2024-11-04T00:00:00+09:00";
      assert.deepEqual(await issuesOf("from=2024-11-04"), [{ field: "from", problem }]);
      assert.deepEqual(await issuesOf("to=yesterday"), [{ field: "to", problem }]);
      // An empty window is not "after from".
      assert.deepEqual(await issuesOf("from=2024-11-04T00:00:00Z&to=2024-11-04T09:00:00%2B09:00"), [
        { field: "to", problem: "must be after from" },
      ]);
      const later = await call(
        h.base,
        "/api/backups/jobs?from=2024-11-04T00:00:00Z&to=2024-11-04T00:00:01Z",
        {
          headers: AUTH,
        },
      );
      assert.equal(later.status, 200, later.text);
    });

    it("must refuse an empty cursor and take a run id only as the run route gave it", async () => {
      assert.deepEqual(
        (await issuesOf("cursor=")).map((i) => i.field),
        ["cursor"],
      );
      assert.equal((await issuesOf(`runId=${"A".repeat(101)}`)).length, 1);
      const longest = await call(h.base, `/api/backups/jobs?runId=${"A".repeat(100)}`, { headers: AUTH });
      assert.equal(longest.status, 200, longest.text);
    });
  });

  describe("POST /api/reports/weekly", () => {
    it("must send the report for the given week and return it", async () => {
      const answer = await post(h.base, "/api/reports/weekly", { week: "2024-11-04" });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { ok: true, report: SEED_REPORT });
      assert.deepEqual(h.calls.reportDates, ["2024-11-04"]);
      const now = await post(h.base, "/api/reports/weekly");
      assert.equal(now.status, 200);
      assert.deepEqual(h.calls.reportDates, ["2024-11-04", undefined]);
    });

    it("must reject a week that is not a date", async () => {
      for (const week of ["last week", "2024-11-04T00:00:00Z", "2024-02-30"]) {
        const answer = await post(h.base, "/api/reports/weekly", { week });
        assert.equal(answer.status, 400, week);
        assert.deepEqual(errorOf(answer).issues, [
          { field: "week", problem: "must be a date YYYY-MM-DD, e.g. 2024-11-03" },
        ]);
      }
      assert.equal(h.calls.reportDates.length, 0);
    });
  });
});

describe("POST /api/reports/monthly (in-process dependencies)", () => {
  const MONTHLY: MonthlyReport = {
    schema: "backup.monthly-report.v1",
    reportId: "monthly-2024-11",
    month: "2024-11",
    periodStart: "2024-11-01T00:00:00+09:00",
    periodEnd: "2024-12-01T00:00:00+09:00",
    total: 0,
    succeeded: 0,
    warnings: 0,
    failed: 0,
    successRate: 0,
    averageDurationSeconds: 0,
    failedJobs: [],
    byType: [],
    weeks: [],
  };

  it("must not exist on a service whose reports cannot build a monthly one", async () => {
    const h = await start();
    try {
      const answer = await post(h.base, "/api/reports/monthly", { month: "2024-11" });
      assert.equal(answer.status, 404, answer.text);
      assert.equal(errorOf(answer).code, "NOT_FOUND");
    } finally {
      await h.app.close();
    }
  });

  it("must take exactly YYYY-MM with a month 01 to 12, log the report sent and return it", async () => {
    const months: (string | undefined)[] = [];
    const h = await start({
      reports: {
        send: async () => SEED_REPORT as WeeklyReport,
        sendMonthly: async ({ month }) => {
          months.push(month);
          return MONTHLY;
        },
      },
    });
    try {
      for (const month of ["2024-01", "2024-09", "2024-10", "2024-12"]) {
        const answer = await post(h.base, "/api/reports/monthly", { month });
        assert.equal(answer.status, 200, `${month}: ${answer.text}`);
        assert.deepEqual(answer.body, { ok: true, report: MONTHLY });
      }
      for (const month of ["x2024-11", "2024-11x", "24-11", "2024-00", "2024-13", "2024-1a"]) {
        const answer = await post(h.base, "/api/reports/monthly", { month });
        assert.equal(answer.status, 400, month);
        assert.deepEqual(errorOf(answer).issues, [
          { field: "month", problem: "must be a month YYYY-MM, e.g. 2024-11" },
        ]);
      }
      const wrong = await post(h.base, "/api/reports/monthly", { month: "2024-13" });
      assert.equal(
        errorOf(wrong).message,
        "invalid report request: month must be a month YYYY-MM, e.g. 2024-11",
      );
      assert.deepEqual(months, ["2024-01", "2024-09", "2024-10", "2024-12"]);
      const sent = h.logs
        .map((line) => JSON.parse(line) as { msg?: string; reportId?: string; total?: number })
        .filter((entry) => entry.msg === "monthly report sent")
        .map((entry) => [entry.reportId, entry.total]);
      assert.deepEqual(sent, Array(4).fill(["monthly-2024-11", 0]));
    } finally {
      await h.app.close();
    }
  });
});

describe("POST /api/backups/drill (in-process dependencies)", () => {
  const drillOf = (type: RunType, options: DrillRunOptions): Drill => ({
    schema: "backup.drill.v1",
    drillId: options.drillId,
    startedAt: "2026-11-28T14:00:00.000Z",
    finishedAt: "2026-11-28T14:12:04.000Z",
    status: "SUCCEEDED",
    resources: [],
    findings: [],
  });

  it("must not exist on a service without restore drills", async () => {
    const h = await start();
    try {
      const answer = await post(h.base, "/api/backups/drill", { type: "EBS" });
      assert.equal(answer.status, 404, answer.text);
    } finally {
      await h.app.close();
    }
  });

  it("must start a drill without asking a runner that has no refusal, pass no resources unless named, and log it", async () => {
    const calls: { type: RunType; options: DrillRunOptions }[] = [];
    const h = await start({
      drills: {
        run: async (type, options) => {
          calls.push({ type, options });
          return drillOf(type, options);
        },
      },
    });
    try {
      const all = await post(h.base, "/api/backups/drill", {});
      assert.equal(all.status, 202, all.text);
      const one = await post(h.base, "/api/backups/drill", { type: "RDS", resource: " db-1 " });
      assert.equal(one.status, 202, one.text);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        calls.map((c) => [c.type, "resources" in c.options ? c.options.resources : "(none)"]),
        [
          ["ALL", "(none)"],
          ["RDS", ["db-1"]],
        ],
      );
      const started = h.logs
        .map(
          (line) =>
            JSON.parse(line) as { msg?: string; drillId?: string; type?: string; resources?: string[] },
        )
        .filter((entry) => entry.msg === "restore drill started")
        .map((entry) => [entry.drillId, entry.type, entry.resources]);
      assert.deepEqual(started, [
        [all.body.drillId, "ALL", []],
        [one.body.drillId, "RDS", ["db-1"]],
      ]);
    } finally {
      await h.app.close();
    }
  });

  it("must answer a bad drill request with every problem, as the run route does", async () => {
    const h = await start({ drills: { run: async (type, options) => drillOf(type, options) } });
    try {
      const cases: [unknown, string][] = [
        [{ type: "TAPE" }, "invalid drill request: type must be one of EBS, RDS, S3, ALL"],
        [{ type: "EBS", resource: "" }, "invalid drill request: resource must not be empty"],
        [
          { type: "ALL", resource: "vol-1" },
          "invalid drill request: resource needs a single type (EBS, RDS or S3), not ALL",
        ],
      ];
      for (const [body, message] of cases) {
        const answer = await post(h.base, "/api/backups/drill", body);
        assert.equal(answer.status, 400, answer.text);
        assert.equal(errorOf(answer).message, message);
      }
    } finally {
      await h.app.close();
    }
  });
});

describe("HTTP API limits and shutdown", () => {
  it("must rate-limit each client with 429 JSON but never /health", async () => {
    const h = await start({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await call(h.base, "/api/backups/jobs", { headers: AUTH })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await call(h.base, "/api/backups/jobs", { headers: AUTH });
      assert.equal(errorOf(limited).code, "RATE_LIMITED");
      assert.ok(Number(limited.headers.get("retry-after")) > 0);
      // Token guessing is throttled too: the limit applies before auth.
      assert.equal((await call(h.base, "/api/backups/jobs")).status, 429);
      for (let i = 0; i < 5; i++) assert.equal((await call(h.base, "/health")).status, 200);
    } finally {
      await h.app.close();
    }
  });

  it("must key the rate limit on the address the trusted proxy saw, which a client cannot spoof", async () => {
    const h = await start({ rateLimit: { max: 1, timeWindowMs: 60_000 }, trustProxyHops: 1 });
    try {
      const as = (chain: string) =>
        call(h.base, "/api/backups/jobs", { headers: { ...AUTH, "x-forwarded-for": chain } });
      assert.equal((await as("203.0.113.1")).status, 200);
      assert.equal((await as("203.0.113.2")).status, 200);
      // A client prepending a fake address is still the one the ALB appended last.
      assert.equal((await as("198.51.100.9, 203.0.113.1")).status, 429);
    } finally {
      await h.app.close();
    }
  });

  it("must let a background run finish when closing, and abort one that outlasts the grace period", async () => {
    const h = await start({}, 300);
    let signal: AbortSignal | undefined;
    h.behaviour.run = (_type, options) =>
      new Promise((resolve, reject) => {
        signal = options.signal;
        const timer = setTimeout(() => resolve([SEED_SUCCESS]), 100);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new Error("aborted"));
        });
      });
    await post(h.base, "/api/backups/run", { type: "EBS" });
    await h.app.close();
    assert.equal(signal?.aborted, false, "a run within the grace period must finish");

    const slow = await start({}, 100);
    slow.behaviour.run = (_type, options) =>
      new Promise((_resolve, reject) => {
        signal = options.signal;
        options.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      });
    await post(slow.base, "/api/backups/run", { type: "S3" });
    const started = Date.now();
    await slow.app.close();
    assert.equal(signal?.aborted, true);
    assert.ok(Date.now() - started < 2_000);
    assert.ok(slow.logs.some((line) => line.includes("aborting backup runs still going at shutdown")));
  });
});

describe("HTTP API wired from the environment", () => {
  const TOPIC = "arn:aws:sns:us-east-1:123456789012:drox-events";

  async function serve(env: Record<string, string>): Promise<{ app: FastifyInstance; base: string }> {
    const logger = createLogger({ level: "silent" });
    const app = await buildServer(await createServiceDepsFromEnv({ API_TOKEN: TOKEN, ...env }, logger));
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    assert.ok(address && typeof address === "object");
    return { app, base: `http://127.0.0.1:${address.port}` };
  }

  it("must refuse a run with 503 and the reason when the history table is not configured", async () => {
    const { app, base } = await serve({ EVENTS_TOPIC_ARN: TOPIC, EBS_VOLUME_IDS: "vol-1" });
    try {
      const answer = await post(base, "/api/backups/run", { type: "EBS" });
      assert.equal(answer.status, 503, answer.text);
      assert.deepEqual(answer.body, {
        error: {
          code: "NOT_CONFIGURED",
          message: "HISTORY_TABLE is not set: it is required for this command",
        },
      });
    } finally {
      await app.close();
    }
  });

  it("must refuse an S3 run, or ALL with S3 sources, with 503 when the backup bucket is not configured", async () => {
    const env = { EVENTS_TOPIC_ARN: TOPIC, HISTORY_TABLE: "drox-history", S3_SOURCE_BUCKETS: "logs" };
    const { app, base } = await serve(env);
    try {
      for (const body of [{ type: "S3", resource: "logs" }, { type: "ALL" }]) {
        const answer = await post(base, "/api/backups/run", body);
        assert.equal(answer.status, 503, answer.text);
        assert.equal(errorOf(answer).message, "BACKUP_BUCKET is not set: it is required for this command");
      }
    } finally {
      await app.close();
    }
  });
});
