/**
 * Load on the HTTP service with autocannon, against a bare Node `http` server answering /health
 * in the same script (the floor: what any Node server costs on this machine).
 *
 *   npm run bench:http                       # 10 s per target, 10 connections
 *   BENCH_SECONDS=5 BENCH_CONNECTIONS=20 npm run bench:http
 *
 * Each server runs in a child process of its own (autocannon in the same event loop would take
 * half the CPU from the server it measures). The service is built with buildServer exactly as in
 * production — auth, rate limiting (limit raised out of the way), zod validation, pino logging
 * with redaction (to /dev/null) — but with an in-memory history and publisher, so the figures
 * are the HTTP layer's cost, not DynamoDB's or SNS's. Every report carries a fresh job id.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { MemoryHistory } from "../test/support/memory-history";

const TOKEN = "bench-api-token-0123456789abcdef";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

// autocannon ships no type declarations; these are the parts used here (its README's API).
interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests?: AutocannonRequest[];
}) => Promise<AutocannonResult>;

type Kind = "floor" | "service";
type ChildMessage = { port: number } | { rss: number };

// ---- child: one server ----------------------------------------------------------------------

async function serveChild(kind: Kind): Promise<void> {
  let port: number;
  if (kind === "floor") {
    const body = JSON.stringify({ status: "ok" });
    const server = createServer((req, res) => {
      if (req.url === "/health") res.writeHead(200, { "content-type": "application/json" }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  } else {
    // Loaded here, not at the top, so the floor's RSS is a bare Node process's.
    const { default: pino } = await import("pino");
    const { createLogger } = await import("../runtime/logging/logger.js");
    const { buildServer } = await import("../runtime/server/app.js");
    let published = 0;
    const notUsed = async (): Promise<never> => {
      throw new Error("not part of the benchmark");
    };
    const app = await buildServer({
      apiToken: TOKEN,
      logger: createLogger({
        level: "info",
        destination: pino.destination({ dest: "/dev/null", sync: true }),
      }),
      slack: { sendTest: notUsed },
      notion: { writeTestPage: notUsed },
      backups: { run: notUsed },
      reports: { send: notUsed },
      history: new MemoryHistory(),
      publisher: { publish: async () => `msg-${++published}` },
      rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as { port: number }).port;
  }
  process.send?.({ port } satisfies ChildMessage);
  process.on("message", (message: string) => {
    if (message === "rss") process.send?.({ rss: process.memoryUsage().rss } satisfies ChildMessage);
  });
}

// ---- parent: load and report ----------------------------------------------------------------

function nextMessage(child: ChildProcess): Promise<ChildMessage> {
  return new Promise((resolve) => child.once("message", (m) => resolve(m as ChildMessage)));
}

async function startChild(kind: Kind): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(__filename, ["--serve", kind], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const message = await nextMessage(child);
  if (!("port" in message)) throw new Error(`${kind} did not start`);
  return { child, url: `http://127.0.0.1:${message.port}` };
}

interface Row {
  readonly name: string;
  readonly result: AutocannonResult;
  readonly rssMb: number;
}

async function measure(name: string, kind: Kind, requests: AutocannonRequest[]): Promise<Row> {
  const { child, url } = await startChild(kind);
  try {
    // A short warm-up so the JIT and connection pools are not part of the figure.
    await autocannon({ url, connections: CONNECTIONS, duration: 1, requests });
    const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
    const rss = nextMessage(child);
    child.send("rss");
    const message = await rss;
    return { name, result, rssMb: "rss" in message ? message.rss / 1024 ** 2 : NaN };
  } finally {
    child.kill();
  }
}

function line(row: Row): string {
  const r = row.result;
  const errors = r.errors + r.timeouts + r.non2xx;
  return [
    row.name.padEnd(36),
    r.requests.average.toFixed(0).padStart(8),
    r.latency.p50.toFixed(1).padStart(8),
    r.latency.p99.toFixed(1).padStart(8),
    String(errors).padStart(7),
    row.rssMb.toFixed(0).padStart(7),
  ].join("");
}

let autocannon: Autocannon;

async function main(): Promise<void> {
  autocannon = createRequire(__filename)("autocannon") as Autocannon;
  const { SEED_SUCCESS } = await import("../test/fixtures/events.js");
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per target, Node ${process.version}`);
  const health: AutocannonRequest[] = [{ method: "GET", path: "/health" }];
  let sequence = 0;
  const report: AutocannonRequest[] = [
    {
      method: "POST",
      path: "/api/backups/report",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({
          ...SEED_SUCCESS,
          type: "LOCAL_HDD",
          jobId: `bench-${process.pid}-${++sequence}`,
        }),
      }),
    },
  ];
  const rows = [
    await measure("bare node:http GET /health (floor)", "floor", health),
    await measure("service GET /health", "service", health),
    await measure("service POST /api/backups/report", "service", report),
  ];
  console.log(
    `${"target".padEnd(36)}${"req/s".padStart(8)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"errors".padStart(7)}${"RSS MB".padStart(7)}`,
  );
  for (const row of rows) console.log(line(row));
  const [floor, service, post] = rows as [Row, Row, Row];
  const ratio = (a: Row, b: Row) => (a.result.requests.average / b.result.requests.average).toFixed(2);
  console.log(`service /health throughput = ${ratio(service, floor)} × floor`);
  console.log(
    `POST /api/backups/report throughput = ${ratio(post, floor)} × floor, ${ratio(post, service)} × service /health`,
  );
  const failed = rows.filter((r) => r.result.errors + r.result.timeouts + r.result.non2xx > 0);
  if (failed.length > 0) {
    console.error(`errors in: ${failed.map((r) => r.name).join(", ")}`);
    process.exitCode = 1;
  }
}

const serveAt = process.argv.indexOf("--serve");
if (serveAt >= 0) void serveChild(process.argv[serveAt + 1] as Kind);
else void main();
