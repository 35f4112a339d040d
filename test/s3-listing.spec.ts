import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  S3Client,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import fc from "fast-check";
import { Readable } from "node:stream";
import { DroxError } from "../runtime/contract/errors";
import {
  compareKeys,
  joinListings,
  listObjects,
  normalizeEtag,
  type ListedObject,
} from "../runtime/jobs/s3-listing";
import { bufferBody, scanNextToken } from "../runtime/jobs/s3-listing-scan";
import { fakeListings } from "./support/s3-requests";

/**
 * ListObjectsV2 answering the given pages as they are, empty ones included: S3 may return a
 * truncated page with no keys (ListObjectsV2 documents that a response can hold fewer keys than
 * MaxKeys, even none, with IsTruncated true; https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
 */
function pagedListings(s3: S3Client, buckets: Record<string, readonly (readonly string[])[]>): void {
  s3.middlewareStack.add(
    () => async (args) => {
      const input = args.input as ListObjectsV2CommandInput;
      const pages = buckets[input.Bucket ?? ""] ?? [];
      const at = Number(input.ContinuationToken ?? "0");
      const truncated = at + 1 < pages.length;
      const output: ListObjectsV2CommandOutput = {
        $metadata: { httpStatusCode: 200 },
        Contents: (pages[at] ?? []).map((Key) => ({ Key, Size: 1, ETag: `"${Key}"` })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(at + 1) } : {}),
      };
      return { output, response: {} };
    },
    { step: "initialize", name: "pagedListings" },
  );
}

/** Keys split into pages at the given cut points (repeated cuts make empty pages). */
function split(keys: readonly string[], cuts: readonly number[]): string[][] {
  const at = [0, ...cuts.map((c) => c % (keys.length + 1)).sort((a, b) => a - b), keys.length];
  return at.slice(1).map((end, i) => keys.slice(at[i], end));
}

async function* oneByOne(keys: readonly string[]): AsyncGenerator<ListedObject> {
  for (const key of keys) yield { key, size: 1, etag: `"${key}"` };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function keys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ServedRequest {
  readonly token?: string;
  /** True when the client hung up before the answer (an aborted request). */
  aborted: boolean;
}

/** XML text with the five predefined entities (https://www.w3.org/TR/xml/#sec-predefined-ent). */
const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

/**
 * ListObjectsV2 over real HTTP on loopback, so the SDK deserialises real XML (the listing reads a
 * page's raw body before the SDK parses it). Page i is `pages[i]`; its successor's token is
 * `tokens[i + 1]` (default the index), written by `token` (default escaped as S3 writes it). `fail`
 * answers a request with S3's 500 InternalError instead, once per call returning true.
 */
async function listingServer(
  pages: readonly (readonly string[])[],
  options: {
    /** Milliseconds before an answer, for every request or per continuation token. */
    latencyMs?: number | ((token: string | undefined) => number);
    tokens?: readonly string[];
    token?: (next: string) => string;
    fail?: (token: string | undefined) => boolean;
    /** Text after the page's ListBucketResult (an error S3 appends to a 200 answer). */
    append?: (token: string | undefined) => string;
  } = {},
): Promise<{
  s3: S3Client;
  requests: ServedRequest[];
  maxInFlight: () => number;
  close: () => Promise<void>;
}> {
  const tokens = options.tokens ?? pages.map((_, i) => String(i));
  const latencyOf = (token: string | undefined) =>
    typeof options.latencyMs === "function" ? options.latencyMs(token) : (options.latencyMs ?? 5);
  const requests: ServedRequest[] = [];
  let inFlight = 0;
  let peak = 0;
  const server: Server = createServer((req, res) => {
    const token =
      new URL(req.url ?? "/", "http://localhost").searchParams.get("continuation-token") ?? undefined;
    const request: ServedRequest = { token, aborted: false };
    requests.push(request);
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    let open = true;
    const done = () => {
      if (open) inFlight -= 1;
      open = false;
    };
    res.on("close", () => {
      request.aborted = !res.writableFinished;
      done();
    });
    const at = token === undefined ? 0 : tokens.indexOf(token);
    setTimeout(() => {
      if (options.fail?.(token)) {
        res.writeHead(500, { "content-type": "application/xml" });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`,
        );
        return;
      }
      const truncated = at + 1 < pages.length;
      const next = truncated
        ? (
            options.token ?? ((t: string) => `<NextContinuationToken>${escapeXml(t)}</NextContinuationToken>`)
          )(tokens[at + 1]!)
        : "";
      const contents = (pages[at] ?? [])
        .map(
          (key) =>
            `<Contents><Key>${escapeXml(key)}</Key><ETag>&quot;${key.length}&quot;</ETag><Size>1</Size></Contents>`,
        )
        .join("");
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
          `<Name>src</Name><Prefix></Prefix><IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>` +
          (options.append?.(token) ?? ""),
      );
    }, latencyOf(token));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // One attempt: a failure reaches the listing instead of the SDK's retry.
    maxAttempts: 1,
  });
  return {
    s3,
    requests,
    maxInFlight: () => peak,
    close: async () => {
      s3.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** When each page's send started and when its answer was parsed, per token, at the client. */
function sendTimes(s3: S3Client): { started: Map<string, number>; parsed: Map<string, number> } {
  const started = new Map<string, number>();
  const parsed = new Map<string, number>();
  s3.middlewareStack.add(
    (next) => async (args) => {
      const token = (args.input as ListObjectsV2CommandInput).ContinuationToken ?? "";
      started.set(token, performance.now());
      const result = await next(args);
      parsed.set(token, performance.now());
      return result;
    },
    { step: "initialize", name: "sendTimes" },
  );
  return { started, parsed };
}

/** Runs `body` and fails if any promise rejection was left unhandled meanwhile (or just after). */
async function withoutUnhandledRejections(body: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", record);
  try {
    await body();
    await sleep(50);
  } finally {
    process.off("unhandledRejection", record);
  }
  assert.deepEqual(unhandled, [], "no failure left unhandled");
}

/** The Prefix of every ListObjectsV2 request, as sent. */
function sentPrefixes(s3: S3Client): (string | undefined)[] {
  const prefixes: (string | undefined)[] = [];
  s3.middlewareStack.add(
    (next) => async (args) => {
      prefixes.push((args.input as ListObjectsV2CommandInput).Prefix);
      return next(args);
    },
    { step: "initialize", priority: "high", name: "sentPrefixes" },
  );
  return prefixes;
}

describe("S3 listings", () => {
  it("must ask for both buckets' first pages before either answers", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 2500), bak: keys("src/k", 1200) }, 30);
    const source = listObjects({ s3, bucket: "src", role: "source" });
    const backup = listObjects({ s3, bucket: "bak", role: "backup", prefix: "src/" });
    const it = joinListings(source, backup)[Symbol.asyncIterator]();
    await it.next();
    assert.deepEqual(
      fake.requests
        .slice(0, 2)
        .map((r) => [r.bucket, r.token])
        .sort(),
      [
        ["bak", undefined],
        ["src", undefined],
      ],
    );
    assert.ok(
      fake.requests[1]!.sentAt < fake.requests[0]!.answeredAt,
      "the second listing started while the first page was still on its way",
    );
    await it.return(undefined);
  });

  it("must join every key once, in order, with its backup, across pages", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const all = keys("k", 2500);
    // Every third key is backed up already, plus one the source no longer has.
    const backedUp = [...all.filter((_, i) => i % 3 === 0), "k999999"].map((k) => `src/${k}`);
    fakeListings(s3, { src: all, bak: backedUp }, 1);
    const backupOnly: string[] = [];
    const joined = await collect(
      joinListings(
        listObjects({ s3, bucket: "src", role: "source" }),
        listObjects({ s3, bucket: "bak", role: "backup", prefix: "src/" }),
        (b) => backupOnly.push(b.key),
      ),
    );
    assert.deepEqual(
      joined.map((j) => j.source.key),
      all,
    );
    assert.deepEqual(
      joined.flatMap((j) => (j.backup ? [j.backup.key] : [])),
      all.filter((_, i) => i % 3 === 0),
    );
    assert.deepEqual(backupOnly, ["k999999"]);
  });

  it("must fetch no more than prefetchPages pages ahead of a reader that pauses", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 10_500) }, 1);
    const it = listObjects({ s3, bucket: "src", role: "source", prefetchPages: 3 })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal((first.value as ListedObject).key, "k000000");
    await sleep(100);
    // The page being read plus three ahead: four requests of the eleven pages.
    assert.equal(fake.requests.length, 4);
    let count = 1;
    while (!(await it.next()).done) count += 1;
    assert.equal(count, 10_500);
    assert.deepEqual(
      fake.requests.map((r) => r.token),
      [undefined, ...keys("", 10).map((_, i) => String((i + 1) * 1000))],
      "each page asked for once, in order",
    );
  });

  it("must order any two keys as S3 does, by their UTF-8 bytes", () => {
    // Every code point, surrogate pairs included (S3 keys are valid UTF-8: no lone surrogates).
    const key = fc.string({ unit: "binary", maxLength: 6 });
    fc.assert(
      fc.property(key, key, (a, b) => {
        const expected = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
        assert.equal(Math.sign(compareKeys(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }),
      { numRuns: 5000 },
    );
    // The cases UTF-16 gets wrong, and a prefix: beyond U+FFFF sorts after U+E000–U+FFFF.
    assert.ok(compareKeys("\u{1F600}", "\uE000") > 0);
    assert.ok(compareKeys("\uFFFF", "\u{10000}") < 0);
    assert.ok(compareKeys("\u{10000}", "\u{10001}") < 0);
    assert.ok(compareKeys("\uD7FF", "\u{10000}") < 0);
    assert.ok(compareKeys("백업/a", "백업") > 0);
    assert.ok(compareKeys("a", "b") < 0 && compareKeys("b", "a") > 0);
  });

  it("must join listings read a page at a time, empty pages included, exactly as object by object", async () => {
    const key = fc.string({ unit: "binary", minLength: 1, maxLength: 3 });
    const cuts = fc.array(fc.nat(), { maxLength: 6 });
    // Which source keys the backup holds too: random keys alone would almost never be shared.
    const shared = fc.array(fc.boolean(), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(key),
        fc.uniqueArray(key),
        shared,
        cuts,
        cuts,
        async (src, own, pick, sc, bc) => {
          const bak = [...new Set([...own, ...src.filter((_, i) => pick[i % pick.length])])];
          const s = [...src].sort(compareKeys);
          const b = [...bak].sort(compareKeys);
          const s3 = new S3Client({ region: "us-east-1" });
          pagedListings(s3, { src: split(s, sc), bak: split(b, bc) });
          const pagedOnly: string[] = [];
          const paged = await collect(
            joinListings(
              listObjects({ s3, bucket: "src", role: "source" }),
              listObjects({ s3, bucket: "bak", role: "backup" }),
              (o) => pagedOnly.push(o.key),
            ),
          );
          const plainOnly: string[] = [];
          const plain = await collect(joinListings(oneByOne(s), oneByOne(b), (o) => plainOnly.push(o.key)));
          const inBackup = new Set(b);
          const expected = s.map((k) => [k, inBackup.has(k) ? k : undefined]);
          assert.deepEqual(
            paged.map((j) => [j.source.key, j.backup?.key]),
            expected,
          );
          assert.deepEqual(
            plain.map((j) => [j.source.key, j.backup?.key]),
            expected,
          );
          const inSource = new Set(s);
          assert.deepEqual(
            pagedOnly,
            b.filter((k) => !inSource.has(k)),
          );
          assert.deepEqual(plainOnly, pagedOnly);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("must keep listing while the reader works, at one round trip a page", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    // Long enough that a loaded machine's timer drift stays well below latency / 2.
    const latency = 80;
    const fake = fakeListings(s3, { src: keys("k", 8000) }, latency);
    for await (const o of listObjects({ s3, bucket: "src", role: "source" })) {
      // The reader spends as long on a page as a round trip takes.
      if (o.key.endsWith("999")) await sleep(latency);
    }
    const gaps = fake.requests.slice(1).map((r, i) => r.sentAt - fake.requests[i]!.answeredAt);
    assert.equal(fake.requests.length, 8);
    assert.ok(
      gaps.every((gap) => gap < latency / 2),
      `each page is requested as its predecessor arrives, not when the reader reaches it: gaps ${gaps.join(", ")} ms`,
    );
  });

  it("must send no Prefix for a whole bucket, and list only the keys under a prefix, without it", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const prefixes = sentPrefixes(s3);
    fakeListings(s3, { bak: ["other/x", "src/a", "src/b", "srcx"] }, 1);
    let whole: ListedObject[] = [];
    await withoutUnhandledRejections(async () => {
      whole = await collect(listObjects({ s3, bucket: "bak", role: "backup" }));
    });
    assert.deepEqual(
      whole.map((o) => o.key),
      ["other/x", "src/a", "src/b", "srcx"],
    );
    const under = await collect(listObjects({ s3, bucket: "bak", role: "backup", prefix: "src/" }));
    assert.deepEqual(
      under.map((o) => o.key),
      ["a", "b"],
    );
    assert.deepEqual(prefixes, [undefined, "src/"]);
  });

  it("must read each listed object's size and ETag, and skip an entry without a key", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    s3.middlewareStack.add(
      () => async (args) => {
        const token = (args.input as ListObjectsV2CommandInput).ContinuationToken;
        // A page with an entry lacking its size and ETag and one lacking its key, then an empty
        // last page without Contents (KeyCount 0); its stray token is no next page.
        const output: ListObjectsV2CommandOutput =
          token === undefined
            ? {
                $metadata: { httpStatusCode: 200 },
                Contents: [{ Key: "a", Size: 5, ETag: '"e-a"' }, { Key: "b" }, { Size: 3, ETag: '"e-c"' }],
                IsTruncated: true,
                NextContinuationToken: "t1",
              }
            : {
                $metadata: { httpStatusCode: 200 },
                KeyCount: 0,
                IsTruncated: false,
                NextContinuationToken: "t2",
              };
        return { output, response: {} };
      },
      { step: "initialize", name: "oddPages" },
    );
    const pages: number[] = [];
    const listed = await collect(
      listObjects({ s3, bucket: "src", role: "source", onPage: (n) => pages.push(n) }),
    );
    assert.deepEqual(listed, [
      { key: "a", size: 5, etag: '"e-a"' },
      { key: "b", size: 0, etag: "" },
    ]);
    assert.deepEqual(pages, [2, 0]);
  });

  it("must compare keys across the surrogate and private-use boundaries as their UTF-8 bytes do", () => {
    const units = ["A", "\uC000", "\uD7FF", "\uE000", "\uFFFF", "\u{10000}", "\u{10FFFF}", "\u{1F600}"];
    for (const a of units) {
      for (const b of units) {
        const expected = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
        assert.equal(Math.sign(compareKeys(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        assert.equal(Math.sign(compareKeys(`k${a}x`, `k${b}`)), a === b ? 1 : expected);
      }
    }
  });

  it("must join a key whose backup starts the backup's next page while the source's page goes on", async () => {
    // Source a, b in one page; backup a | b in two: after a, only the backup waits for a page.
    for (const [src, bak] of [
      [[["a", "b", "c"]], [["a"], ["b"], ["c"]]],
      [[["a"], ["b"], ["c"]], [["a", "b", "c"]]],
      [
        [["a"], [], ["b", "c"]],
        [["a", "b"], [], ["c"]],
      ],
    ] as const) {
      const s3 = new S3Client({ region: "us-east-1" });
      pagedListings(s3, { src: src.map((p) => [...p]), bak: bak.map((p) => [...p]) });
      const joined = await collect(
        joinListings(
          listObjects({ s3, bucket: "src", role: "source" }),
          listObjects({ s3, bucket: "bak", role: "backup" }),
        ),
      );
      assert.deepEqual(
        joined.map((j) => [j.source.key, j.backup?.key]),
        [
          ["a", "a"],
          ["b", "b"],
          ["c", "c"],
        ],
        JSON.stringify([src, bak]),
      );
    }
  });

  it("must stop listing once its reader stops, with no request after the pages in flight", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 10_000) }, 20);
    const it = listObjects({ s3, bucket: "src", role: "source", prefetchPages: 2 })[Symbol.asyncIterator]();
    // Past the first page, so its successors are under way.
    for (let i = 0; i <= 1000; i++) await it.next();
    await it.return(undefined);
    const asked = fake.requests.length;
    await sleep(100);
    assert.equal(fake.requests.length, asked);
    assert.ok(asked < 10);
  });

  it("must stop both listings when a join stops early", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 10_000), bak: keys("k", 10_000) }, 20);
    const it = joinListings(
      listObjects({ s3, bucket: "src", role: "source" }),
      listObjects({ s3, bucket: "bak", role: "backup" }),
    )[Symbol.asyncIterator]();
    // Right into the second pages, while the third are on their way.
    for (let i = 0; i <= 1000; i++) await it.next();
    await it.return(undefined);
    const asked = fake.requests.length;
    await sleep(100);
    assert.equal(fake.requests.length, asked);
    assert.ok(asked < 20);
  });

  it("must compare ETags without their quotes", () => {
    assert.equal(normalizeEtag('"9b2cf535f27731c974343645a3985328"'), "9b2cf535f27731c974343645a3985328");
    assert.equal(normalizeEtag('"d41d8cd98f00b204e9800998ecf8427e-2"'), "d41d8cd98f00b204e9800998ecf8427e-2");
    assert.equal(normalizeEtag("plain"), "plain");
    assert.equal(normalizeEtag(undefined), "");
  });

  describe("the next page asked for from the raw page, before the SDK parses it", () => {
    const fivePages = [keys("a", 1000), keys("b", 1000), keys("c", 1000), keys("d", 1000), keys("e", 10)];
    const all = fivePages.flat();

    it("must ask for each page once, with the scanned token, before its predecessor is parsed", async () => {
      const server = await listingServer(fivePages, { latencyMs: 20 });
      const times = sendTimes(server.s3);
      try {
        const listed = await collect(
          // Room for every page: the bound (specified below) never holds a request back here.
          listObjects({ s3: server.s3, bucket: "src", role: "source", prefetchPages: 5 }),
        );
        assert.deepEqual(
          listed.map((o) => o.key),
          all,
        );
        assert.deepEqual(
          server.requests.map((r) => [r.token, r.aborted]),
          [
            [undefined, false],
            ["1", false],
            ["2", false],
            ["3", false],
            ["4", false],
          ],
        );
        for (const [before, after] of [
          ["", "1"],
          ["1", "2"],
          ["2", "3"],
          ["3", "4"],
        ] as const) {
          assert.ok(
            times.started.get(after)! < times.parsed.get(before)!,
            `page ${after} asked for before page ${before || "0"} was parsed`,
          );
        }
      } finally {
        await server.close();
      }
    });

    it("must decode the five XML entities of a scanned token and use the request it started", async () => {
      const tokens = ["", `a&b<c>"d'e`, "x&amp;y", "ÿ/π"];
      const server = await listingServer(fivePages.slice(0, 4), { tokens });
      const times = sendTimes(server.s3);
      try {
        const listed = await collect(listObjects({ s3: server.s3, bucket: "src", role: "source" }));
        assert.equal(listed.length, 4000);
        assert.deepEqual(
          server.requests.map((r) => [r.token, r.aborted]),
          [
            [undefined, false],
            [`a&b<c>"d'e`, false],
            ["x&amp;y", false],
            ["ÿ/π", false],
          ],
        );
        assert.ok(
          times.started.get(`a&b<c>"d'e`)! < times.parsed.get("")!,
          "the escaped token was speculated on",
        );
      } finally {
        await server.close();
      }
    });

    for (const [name, write] of [
      [
        "a comment",
        (t: string) =>
          `<!-- <NextContinuationToken>9</NextContinuationToken> --><NextContinuationToken>${t}</NextContinuationToken>`,
      ],
      ["CDATA", (t: string) => `<NextContinuationToken><![CDATA[${t}]]></NextContinuationToken>`],
      [
        "a character reference",
        (t: string) => `<NextContinuationToken>&#${t.charCodeAt(0)};</NextContinuationToken>`,
      ],
      [
        "two tags",
        (t: string) =>
          `<NextContinuationToken>${t}</NextContinuationToken><Foo><NextContinuationToken>9</NextContinuationToken></Foo>`,
      ],
    ] as const) {
      it(`must not speculate on a page whose token comes with ${name}, and list it exactly`, async () => {
        const server = await listingServer(fivePages, { token: write });
        const times = sendTimes(server.s3);
        try {
          const listed = await collect(listObjects({ s3: server.s3, bucket: "src", role: "source" }));
          assert.deepEqual(
            listed.map((o) => o.key),
            all,
          );
          assert.deepEqual(
            server.requests.map((r) => r.token),
            [undefined, "1", "2", "3", "4"],
          );
          assert.ok(times.started.get("1")! >= times.parsed.get("")!, "page 1 waited for page 0's parse");
        } finally {
          await server.close();
        }
      });
    }

    it("must drop a request started from a scanned token the parse contradicts and ask with the parsed one", async () => {
      // The scan reads only `<NextContinuationToken>` with nothing inside the tag: here it finds
      // the one in an element the SDK ignores, while the SDK reads the real one, which has an attribute.
      // A wrong guess is answered late, so its abort is seen however long the parse takes.
      const server = await listingServer(fivePages, {
        latencyMs: (token) => (token?.startsWith("bogus") ? 5_000 : 30),
        token: (t) =>
          `<Foo><NextContinuationToken>bogus${t}</NextContinuationToken></Foo><NextContinuationToken a="1">${t}</NextContinuationToken>`,
      });
      try {
        const listed = await collect(listObjects({ s3: server.s3, bucket: "src", role: "source" }));
        assert.deepEqual(
          listed.map((o) => o.key),
          all,
        );
        const asked = server.requests.map((r) => [r.token, r.aborted]);
        assert.deepEqual(
          asked.filter(([token]) => !String(token).startsWith("bogus")),
          [
            [undefined, false],
            ["1", false],
            ["2", false],
            ["3", false],
            ["4", false],
          ],
        );
        assert.deepEqual(
          asked.filter(([token]) => String(token).startsWith("bogus")),
          [
            ["bogus1", true],
            ["bogus2", true],
            ["bogus3", true],
            ["bogus4", true],
          ],
          "each wrong guess aborted",
        );
      } finally {
        await server.close();
      }
    });

    it("must ask again for a page whose speculative request failed, and meet a second failure", async () => {
      let failures = 0;
      const server = await listingServer(fivePages, { fail: (t) => t === "2" && (failures += 1) === 1 });
      try {
        const listed = await collect(listObjects({ s3: server.s3, bucket: "src", role: "source" }));
        assert.deepEqual(
          listed.map((o) => o.key),
          all,
        );
        assert.deepEqual(
          server.requests.map((r) => r.token),
          [undefined, "1", "2", "2", "3", "4"],
        );
      } finally {
        await server.close();
      }
      const failing = await listingServer(fivePages, { fail: (t) => t === "2" });
      try {
        await assert.rejects(
          collect(listObjects({ s3: failing.s3, bucket: "src", role: "source" })),
          (error: Error) =>
            error.message ===
            'Cannot list S3 source bucket "src": InternalError: We encountered an internal error. Please try again.',
        );
        assert.deepEqual(
          failing.requests.map((r) => r.token),
          [undefined, "1", "2", "2"],
        );
      } finally {
        await failing.close();
      }
    });

    it("must leave no listener of its own on the run's signal once the pages are in", async () => {
      const server = await listingServer(fivePages);
      const controller = new AbortController();
      try {
        const listed = await collect(
          listObjects({ s3: server.s3, bucket: "src", role: "source", signal: controller.signal }),
        );
        assert.equal(listed.length, all.length);
        // A run lists for hours: a listener per page left on its signal would hold every page.
        assert.equal(getEventListeners(controller.signal, "abort").length, 0);
      } finally {
        await server.close();
      }
    });

    it("must abort a speculative request with the listing's signal", async () => {
      const server = await listingServer(fivePages, { latencyMs: 60 });
      const controller = new AbortController();
      const times = sendTimes(server.s3);
      try {
        const it = listObjects({ s3: server.s3, bucket: "src", role: "source", signal: controller.signal });
        const first = await it.next();
        assert.equal((first.value as ListedObject).key, "a000000");
        // Page 1 was asked for from page 0's raw body; page 2 from page 1's, 60 ms later.
        assert.ok(times.started.has("1"));
        controller.abort();
        await assert.rejects(
          async () => {
            while (!(await it.next()).done);
          },
          (error: Error) => error.name === "AbortError" && !(error instanceof DroxError),
          "an abort is the run's, not a bucket that cannot be listed",
        );
        await sleep(20);
        assert.ok(server.requests.length < 5, "no page after the abort");
        assert.ok(
          server.requests.filter((r) => r.token !== undefined).every((r) => r.aborted),
          "the pages in flight were aborted",
        );
      } finally {
        await server.close();
      }
    });

    it("must list nothing with a signal already aborted", async () => {
      const server = await listingServer(fivePages);
      const controller = new AbortController();
      controller.abort();
      try {
        await assert.rejects(
          collect(listObjects({ s3: server.s3, bucket: "src", role: "source", signal: controller.signal })),
          { name: "AbortError" },
        );
        assert.equal(server.requests.length, 0);
      } finally {
        await server.close();
      }
    });

    it("must drop the request started from a page that then fails, and leave no failure unhandled", async () => {
      // Page 1 arrives with its token, then an error: S3 can answer 200 with an error in the body,
      // which the SDK throws once the body has been read (after the scan started page 2).
      const server = await listingServer(fivePages, {
        latencyMs: (token) => (token === "2" ? 5_000 : 5),
        append: (token) =>
          token === "1"
            ? "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
            : "",
      });
      try {
        await withoutUnhandledRejections(async () => {
          await assert.rejects(collect(listObjects({ s3: server.s3, bucket: "src", role: "source" })));
          // The abort reaches the server a moment after the client hangs up.
          for (
            let waited = 0;
            !server.requests.some((r) => r.token === "2" && r.aborted) && waited < 2000;
            waited += 10
          )
            await sleep(10);
          assert.deepEqual(
            server.requests.map((r) => [r.token, r.aborted]),
            [
              [undefined, false],
              ["1", false],
              ["2", true],
              ["1", false],
            ],
            "page 2 aborted; page 1 asked again as a speculative page is",
          );
        });
      } finally {
        await server.close();
      }
    });

    it("must not ask again for a page asked for without speculation, and leave no failure unhandled", async () => {
      const comment = (t: string) => `<!-- x --><NextContinuationToken>${t}</NextContinuationToken>`;
      for (const failing of [undefined, "2"]) {
        let failures = 0;
        const server = await listingServer(fivePages, {
          token: comment,
          fail: (t) => t === failing && (failures += 1) === 1,
        });
        try {
          await withoutUnhandledRejections(async () => {
            await assert.rejects(
              collect(listObjects({ s3: server.s3, bucket: "src", role: "source" })),
              /InternalError/,
            );
          });
          assert.deepEqual(
            server.requests.map((r) => r.token),
            failing === undefined ? [undefined] : [undefined, "1", "2"],
          );
        } finally {
          await server.close();
        }
      }
    });

    it("must not ask again for a page a paused reader deferred", async () => {
      let failures = 0;
      const server = await listingServer(fivePages, {
        token: (t) => `<!-- x --><NextContinuationToken>${t}</NextContinuationToken>`,
        fail: (t) => t === "2" && (failures += 1) === 1,
      });
      try {
        const it = listObjects({ s3: server.s3, bucket: "src", role: "source", prefetchPages: 1 })[
          Symbol.asyncIterator
        ]();
        await it.next();
        // Page 1 arrives while the reader pauses in page 0: page 2 waits for the reader.
        for (let waited = 0; server.requests.length < 2 && waited < 3000; waited += 10) await sleep(10);
        await sleep(100);
        assert.equal(server.requests.length, 2);
        await assert.rejects(async () => {
          while (!(await it.next()).done);
        }, /InternalError/);
        assert.deepEqual(
          server.requests.map((r) => r.token),
          [undefined, "1", "2"],
        );
      } finally {
        await server.close();
      }
    });

    it("must start nothing after the last page, nor more than prefetchPages ahead", async () => {
      const server = await listingServer(
        [
          keys("a", 1000),
          keys("b", 1000),
          keys("c", 1000),
          keys("d", 1000),
          keys("e", 1000),
          keys("f", 1000),
        ],
        { latencyMs: 10 },
      );
      try {
        const it = listObjects({ s3: server.s3, bucket: "src", role: "source", prefetchPages: 2 })[
          Symbol.asyncIterator
        ]();
        await it.next();
        // However slow the machine: wait for the third request, then give a fourth time to show.
        for (let waited = 0; server.requests.length < 3 && waited < 3000; waited += 10) await sleep(10);
        await sleep(100);
        // The page being read plus two ahead, speculative requests included.
        assert.equal(server.requests.length, 3);
        while (!(await it.next()).done);
        await sleep(50);
        assert.deepEqual(
          server.requests.map((r) => r.token),
          [undefined, "1", "2", "3", "4", "5"],
        );
        assert.ok(server.maxInFlight() <= 2);
      } finally {
        await server.close();
      }
    });
  });

  describe("the scan of a raw ListObjectsV2 page", () => {
    /**
     * A page as S3 writes it (the ListObjectsV2 response syntax and example,
     * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html): the XML declaration,
     * then ListBucketResult with IsTruncated, NextContinuationToken when truncated, and the keys.
     */
    const page = (inner: string) =>
      Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
          `<Name>bucket</Name><Prefix></Prefix>${inner}<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>` +
          `<Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
          `<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>` +
          `<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`,
      );
    const token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
    const truncated = `<IsTruncated>true</IsTruncated><NextContinuationToken>${token}</NextContinuationToken>`;

    it("must read the next token of a truncated page, wherever the two elements are", () => {
      assert.equal(scanNextToken(page(truncated)), token);
      // The order of the elements is S3's to choose, and the scan needs no declaration before them.
      assert.equal(
        scanNextToken(
          page(`<NextContinuationToken>${token}</NextContinuationToken><IsTruncated>true</IsTruncated>`),
        ),
        token,
      );
      assert.equal(
        scanNextToken(
          Buffer.from(` <IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>`),
        ),
        "t",
      );
      assert.equal(
        scanNextToken(
          Buffer.from(` <NextContinuationToken>t</NextContinuationToken><IsTruncated>true</IsTruncated>`),
        ),
        "t",
      );
    });

    it("must guess nothing for the last page, or a page that does not say it is truncated", () => {
      assert.equal(scanNextToken(page("<IsTruncated>false</IsTruncated>")), undefined);
      // Even with a token: only IsTruncated true says there is a next page.
      assert.equal(
        scanNextToken(
          page(`<IsTruncated>false</IsTruncated><NextContinuationToken>t</NextContinuationToken>`),
        ),
        undefined,
      );
      assert.equal(scanNextToken(page(`<NextContinuationToken>t</NextContinuationToken>`)), undefined);
      assert.equal(scanNextToken(page("<IsTruncated>true</IsTruncated>")), undefined);
    });

    it("must decode the five predefined entities, and refuse any other reference", () => {
      const scanned = (text: string) =>
        scanNextToken(
          page(`<IsTruncated>true</IsTruncated><NextContinuationToken>${text}</NextContinuationToken>`),
        );
      assert.equal(scanned("a&amp;b&lt;c&gt;d&quot;e&apos;f"), `a&b<c>d"e'f`);
      assert.equal(scanned("&amp;amp;"), "&amp;");
      assert.equal(scanned("&#65;"), undefined);
      assert.equal(scanned("&#x41;"), undefined);
      assert.equal(scanned("&nbsp;"), undefined);
      // A bare `&` is not well-formed XML: no guess rather than a wrong one.
      assert.equal(scanned("a&ampb"), undefined);
      assert.equal(scanned("a&amp"), undefined);
      assert.equal(scanned("a & b"), undefined);
    });

    it("must guess nothing from a token it cannot read as plain text", () => {
      const scanned = (inner: string) => scanNextToken(page(`<IsTruncated>true</IsTruncated>${inner}`));
      assert.equal(scanned("<NextContinuationToken></NextContinuationToken>"), undefined);
      assert.equal(scanned("<NextContinuationToken/>"), undefined);
      assert.equal(scanned("<NextContinuationToken>ab<b>c</b></NextContinuationToken>"), undefined);
      // A tag with an attribute is not the plain tag the scan looks for, whatever follows it.
      assert.equal(
        scanNextToken(
          Buffer.from(
            `<ListBucketResult><NextContinuationToken a="1">t</NextContinuationToken><IsTruncated>true</IsTruncated></ListBucketResult>`,
          ),
        ),
        undefined,
      );
      // A body cut short inside the token.
      assert.equal(
        scanNextToken(
          Buffer.from(`<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>abc`),
        ),
        undefined,
      );
    });

    it("must guess nothing from a page with a comment, CDATA, a DOCTYPE or a processing instruction", () => {
      assert.equal(scanNextToken(page(`<!-- a note -->${truncated}`)), undefined);
      assert.equal(scanNextToken(page(`${truncated}<![CDATA[x]]>`)), undefined);
      assert.equal(
        scanNextToken(Buffer.from(`<!DOCTYPE ListBucketResult>${page(truncated).toString()}`)),
        undefined,
      );
      assert.equal(scanNextToken(page(`<?drox pi?>${truncated}`)), undefined);
      // Only the XML declaration may start with `<?`, and only at the very start.
      assert.equal(scanNextToken(page(truncated).subarray(page(truncated).indexOf("\n"))), token);
    });

    it("must guess nothing when IsTruncated or NextContinuationToken appears twice", () => {
      assert.equal(scanNextToken(page(`${truncated}<IsTruncated>true</IsTruncated>`)), undefined);
      assert.equal(scanNextToken(page(`<IsTruncated>true</IsTruncated>${truncated}`)), undefined);
      assert.equal(
        scanNextToken(page(`${truncated}<Foo><NextContinuationToken>${token}</NextContinuationToken></Foo>`)),
        undefined,
      );
      assert.equal(scanNextToken(page(`${truncated}<IsTruncated>false</IsTruncated>`)), undefined);
    });

    it("must read a successful answer's streamed body once and put the bytes in its place", async () => {
      const xml = page(truncated);
      const response: { statusCode: number; body: unknown } = {
        statusCode: 200,
        body: Readable.from([xml.subarray(0, 10), new Uint8Array(xml.subarray(10, 50)), xml.subarray(50)]),
      };
      const bytes = await bufferBody(response);
      assert.ok(bytes !== undefined && bytes.equals(xml));
      assert.equal(response.body, bytes, "the SDK parses the buffered bytes");
    });

    it("must leave an error answer's body, and a body already read, to the SDK", async () => {
      for (const statusCode of [301, 404, 500, 503, 204, undefined]) {
        const stream = Readable.from([Buffer.from("<Error><Code>NoSuchBucket</Code></Error>")]);
        const response = { statusCode, body: stream };
        assert.equal(await bufferBody(response), undefined, String(statusCode));
        assert.equal(response.body, stream);
        assert.equal(stream.readableDidRead, false, "the stream was not read");
      }
      for (const body of [
        new Uint8Array([60, 97, 62]),
        Buffer.from("<a>"),
        "<a>",
        undefined,
        null,
        {},
        [60],
      ]) {
        const response = { statusCode: 200, body };
        assert.equal(await bufferBody(response), undefined, String(body));
        assert.equal(response.body, body);
      }
    });
  });
});
