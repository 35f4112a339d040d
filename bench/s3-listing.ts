/**
 * The sync's listing join at a million keys a side, against a local server that answers
 * ListObjectsV2 pages (1,000 keys, as S3's) a fixed latency after each request: the join (both
 * listings at once, each prefetching up to two pages and asking for the next page as soon as a
 * page's raw body has arrived, from the token scanned in it, runtime/jobs/s3-listing.ts) against the
 * sequential baseline of the same script (every page of the source, then every page of the backup,
 * one after another, as a listing without overlap fetches them). The server runs in a child process,
 * as S3 is not in ours: the CPU this process spends is the client's alone.
 *
 * Prints, for both: pages/s against the latency bound (one page per latency per side: a listing is
 * a chain, each page's continuation token asks for the next), the client's CPU per page
 * (process.cpuUsage, which a loaded machine does not inflate the way it does wall time), and peak
 * heap and RSS above the start. The join must run near the bound, in memory that does not grow
 * with the keys. It also counts the join's requests: a speculative request the parse contradicted
 * would be one more than the pages.
 *
 *   npx tsx bench/s3-listing.ts         (npm run bench:s3-listing)
 *
 * Env: BENCH_LISTING_KEYS (default 1000000 a side), BENCH_LISTING_LATENCY_MS (default 50),
 * BENCH_LISTING_SEQUENTIAL=0 skips the baseline. Keys are generated per page, never held.
 */
import { fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { joinListings, listObjects } from "../runtime/jobs/s3-listing";

const KEYS = Number(process.env.BENCH_LISTING_KEYS ?? 1_000_000);
const LATENCY_MS = Number(process.env.BENCH_LISTING_LATENCY_MS ?? 50);
const PAGE = 1000;
const SOURCE = "bench-source";
const BACKUP = "bench-backup";

const keyAt = (i: number) => `data/${String(i).padStart(8, "0")}.bin`;

function page(bucket: string, prefix: string, start: number): string {
  const end = Math.min(start + PAGE, KEYS);
  const owner = bucket === BACKUP ? `${SOURCE}/` : "";
  const contents: string[] = [];
  for (let i = start; i < end; i += 1) {
    contents.push(
      `<Contents><Key>${owner}${keyAt(i)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>` +
        `<ETag>&quot;${i.toString(16).padStart(32, "0")}&quot;</ETag><Size>1024</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  const truncated = end < KEYS;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${end - start}</KeyCount><MaxKeys>${PAGE}</MaxKeys>` +
    `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${end}</NextContinuationToken>` : ""}` +
    `${contents.join("")}</ListBucketResult>`
  );
}

/** The child process's side: answers each request LATENCY_MS after it arrived, page built meanwhile. */
function serve(): void {
  const server = createServer((req, res) => {
    const arrived = performance.now();
    const url = new URL(req.url ?? "/", "http://localhost");
    const bucket = url.pathname.split("/")[1] ?? "";
    const start = Number(url.searchParams.get("continuation-token") ?? "0");
    const body = page(bucket, url.searchParams.get("prefix") ?? "", start);
    setTimeout(
      () => {
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(body);
      },
      Math.max(0, LATENCY_MS - (performance.now() - arrived)),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port));
  process.on("disconnect", () => process.exit(0));
}

/** Starts the listing server in a child process (this file, `--serve`); resolves with its port. */
function listingServer(): Promise<{ port: number; stop: () => void }> {
  const child = fork(__filename, ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", (port) => resolve({ port: Number(port), stop: () => child.kill() }));
  });
}

interface Figures {
  readonly keys: number;
  readonly pages: number;
  readonly seconds: number;
  /** Client CPU (user + system) per page, ms. */
  readonly cpuMsPerPage: number;
  readonly peakHeapMb: number;
  readonly peakRssMb: number;
}

async function measure(run: () => Promise<{ keys: number; pages: number }>): Promise<Figures> {
  global.gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  }, 20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { keys, pages } = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  return {
    keys,
    pages,
    seconds,
    cpuMsPerPage: (used.user + used.system) / 1000 / pages,
    peakHeapMb: (peakHeap - base.heapUsed) / 1024 ** 2,
    peakRssMb: (peakRss - base.rss) / 1024 ** 2,
  };
}

async function main(): Promise<void> {
  const server = await listingServer();
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${server.port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  process.stdout.write(
    `[bench] ${KEYS.toLocaleString("en")} keys a side, ${LATENCY_MS} ms a page, Node ${process.version}, ` +
      `${cpus().length} CPU(s), load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}\n`,
  );

  let requests = 0;
  s3.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    { step: "initialize", name: "benchRequests" },
  );
  const joined = await measure(async () => {
    let pages = 0;
    let keys = 0;
    const onPage = () => void (pages += 1);
    const source = listObjects({ s3, bucket: SOURCE, role: "source", onPage });
    const backup = listObjects({ s3, bucket: BACKUP, role: "backup", prefix: `${SOURCE}/`, onPage });
    for await (const entry of joinListings(source, backup)) {
      if (entry.backup === undefined) throw new Error(`${entry.source.key} has no backup`);
      keys += 1;
    }
    return { keys, pages };
  });

  const joinRequests = requests;
  const sequential =
    process.env.BENCH_LISTING_SEQUENTIAL === "0"
      ? undefined
      : await measure(async () => {
          let pages = 0;
          let keys = 0;
          for (const [bucket, prefix] of [
            [SOURCE, undefined],
            [BACKUP, `${SOURCE}/`],
          ] as const) {
            let token: string | undefined;
            do {
              const out = await s3.send(
                new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
              );
              pages += 1;
              keys += out.Contents?.length ?? 0;
              token = out.IsTruncated ? out.NextContinuationToken : undefined;
            } while (token);
          }
          return { keys: keys / 2, pages };
        });

  // Both sides at once, one page per latency each: the most a chain of round trips allows.
  const boundPagesPerSecond = 2 * (1000 / LATENCY_MS);
  const line = (name: string, f: Figures, bound: number) =>
    `${name.padEnd(34)} ${f.keys.toLocaleString("en").padStart(10)} keys  ${String(f.pages).padStart(5)} pages  ` +
    `${f.seconds.toFixed(1).padStart(6)} s  ${(f.pages / f.seconds).toFixed(1).padStart(5)} pages/s ` +
    `(${((f.pages / f.seconds / bound) * 100).toFixed(0)}% of ${bound})  ` +
    `CPU ${f.cpuMsPerPage.toFixed(1)} ms/page  peak heap +${f.peakHeapMb.toFixed(1)} MB, RSS +${f.peakRssMb.toFixed(1)} MB\n`;
  process.stdout.write(line("join (both at once, prefetch 2)", joined, boundPagesPerSecond));
  process.stdout.write(`[bench] join: ${joinRequests} ListObjectsV2 requests for ${joined.pages} pages\n`);
  if (sequential) process.stdout.write(line("sequential baseline", sequential, boundPagesPerSecond / 2));
  const bound = (KEYS / PAGE) * (LATENCY_MS / 1000);
  process.stdout.write(
    `[bench] latency bound of the join: ${bound.toFixed(1)} s (${boundPagesPerSecond} pages/s)` +
      (sequential
        ? `; join ${(sequential.seconds / joined.seconds).toFixed(2)}x faster than sequential`
        : "") +
      "\n",
  );
  if (sequential) {
    // A chain that waits for the SDK's parse of each page to learn the next token: each link is a
    // round trip plus that CPU. The join asks from the raw page instead, so it may pass this bound.
    const chain = 2 * (1000 / (LATENCY_MS + sequential.cpuMsPerPage));
    process.stdout.write(
      `[bench] bound of a chain waiting for the parse (latency + ${sequential.cpuMsPerPage.toFixed(1)} ms a page, both sides): ` +
        `${chain.toFixed(1)} pages/s; the join ran at ${((joined.pages / joined.seconds / chain) * 100).toFixed(0)}% of it\n`,
    );
  }
  s3.destroy();
  server.stop();
}

if (process.argv.includes("--serve")) {
  serve();
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
