import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import type { MonthlyReport, WeeklyReport } from "../runtime/contract/events";
import { createLogger } from "../runtime/logging/logger";
import { buildServer } from "../runtime/server/app";
import type { ServiceDeps } from "../runtime/server/deps";
import { SEED_REPORT } from "./fixtures/events";
import { MemoryHistory } from "./support/memory-history";

const TOKEN = "sentinel-api-token-5e1d9b3a7c2f4e60";

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

describe("POST /api/reports/monthly", () => {
  let app: FastifyInstance;
  let base: string;
  const months: (string | undefined)[] = [];

  before(async () => {
    const deps: ServiceDeps = {
      apiToken: TOKEN,
      logger: createLogger({ level: "silent" }),
      slack: { sendTest: async () => undefined },
      notion: { writeTestPage: async () => ({ pageId: "page-0001" }) },
      backups: { run: async () => [] },
      history: new MemoryHistory(),
      publisher: { publish: async () => "msg-1" },
      reports: {
        send: async () => SEED_REPORT as WeeklyReport,
        sendMonthly: async ({ month }) => {
          months.push(month);
          return MONTHLY;
        },
      },
    };
    app = await buildServer(deps);
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    assert.ok(address && typeof address === "object");
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => app.close());
  beforeEach(() => {
    months.length = 0;
  });

  const post = (body: unknown, token: string | null = TOKEN) =>
    fetch(`${base}/api/reports/monthly`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });

  it("must send the report of the given month, or of the month before today, and return it", async () => {
    const given = await post({ month: "2024-11" });
    assert.equal(given.status, 200);
    assert.deepEqual(await given.json(), { ok: true, report: MONTHLY });
    assert.equal((await post({})).status, 200);
    assert.deepEqual(months, ["2024-11", undefined]);
  });

  it("must ask for the API token like the weekly route", async () => {
    assert.equal((await post({ month: "2024-11" }, null)).status, 401);
    assert.equal((await post({ month: "2024-11" }, "wrong-token-of-the-same-kind-000000")).status, 401);
    assert.deepEqual(months, []);
  });

  it("must reject a month that is not YYYY-MM, and unknown fields", async () => {
    for (const body of [{ month: "2024-13" }, { month: "November" }, { week: "2024-11-03" }]) {
      const answer = await post(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
    const answer = await post({ month: "2024-1" });
    const error = ((await answer.json()) as { error: { issues: unknown } }).error;
    assert.deepEqual(error.issues, [{ field: "month", problem: "must be a month YYYY-MM, e.g. 2024-11" }]);
    assert.deepEqual(months, []);
  });
});
