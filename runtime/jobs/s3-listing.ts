/**
 * Streaming listings for the sync: both buckets are read page by page (ListObjectsV2, 1,000 keys a
 * page) and joined on the key as they arrive, so memory stays at a few pages whatever the bucket's
 * size. A listing is a chain (each page's continuation token asks for the next), so one listing
 * cannot go faster than one page per round trip; what the join can do is never wait for one: both
 * listings start at once, and each fetches up to `prefetchPages` pages ahead of the page the join
 * is reading, so a pause of the join (copies catching up) does not stall the round trips. A page's
 * continuation token is known only once the SDK has parsed the page, which is most of a page's CPU
 * and would sit in the chain: the next page is asked for as soon as the raw page has arrived, from
 * the token scanned in it (s3-listing-scan.ts), and that request is kept only if the parsed token
 * is the same, so the listing never rests on the scan (the speculative request counts as a page in
 * flight). S3 returns keys in ascending UTF-8 byte order; the join compares the same way
 * (JavaScript's `<` compares UTF-16 units, which disagrees for characters beyond U+FFFF).
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { bucketError } from "./s3-errors";
import { bufferBody, scanNextToken } from "./s3-listing-scan";

export interface ListedObject {
  /** Key relative to the listing's prefix. */
  readonly key: string;
  readonly size: number;
  /** As S3 returns it, quotes included. */
  readonly etag: string;
  /** A specific version to copy (a restore from the versioned backup); absent: the current one. */
  readonly versionId?: string;
}

export interface ListOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly role: "source" | "backup";
  /** Only keys under this prefix, returned without it. */
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  /** Called with the size of each page as the caller reaches it. */
  readonly onPage?: (count: number) => void;
  /** Pages fetched ahead of the one being read (memory: this many pages plus one). @default 2 */
  readonly prefetchPages?: number;
}

export const DEFAULT_PREFETCH_PAGES = 2;

interface Page {
  readonly objects: ListedObject[];
  readonly next?: string;
}

/** Where a listing from listObjects keeps its pages, for joinListings to read a page at a time. */
const PAGES = Symbol("pages");

/** A listing that can also be read a page at a time (what listObjects returns). */
type Paged = AsyncIterable<ListedObject> & { readonly [PAGES]?: AsyncGenerator<readonly ListedObject[]> };

/**
 * Yields every object, fetching up to `prefetchPages` pages ahead while the caller works through
 * the current one. A bucket that cannot be listed throws a DroxError naming it. A listing is read
 * once: by the caller object by object, or by joinListings page by page.
 */
export function listObjects(options: ListOptions): AsyncGenerator<ListedObject> {
  const pages = listPages(options);
  async function* objects(): AsyncGenerator<ListedObject> {
    for await (const page of pages) yield* page;
  }
  // Stryker disable next-line ObjectLiteral: without it the join reads the same listing object by object (onePerPage): same entries, a promise per key
  return Object.assign(objects(), { [PAGES]: pages });
}

/**
 * One page's request. `ahead` is the request for its successor started from the token scanned in
 * this page's raw body, before the SDK parsed it; it counts as a page in flight and is used only if
 * the parsed token is the same (dropped, aborted, otherwise).
 */
interface Link {
  /** Undefined for the first page. */
  readonly token: string | undefined;
  readonly page: Promise<Page>;
  ahead?: Link;
  drop(): void;
}

async function* listPages(options: ListOptions): AsyncGenerator<readonly ListedObject[]> {
  const prefix = options.prefix ?? "";
  const depth = Math.max(1, options.prefetchPages ?? DEFAULT_PREFETCH_PAGES);
  const fetchPage = async (
    token: string | undefined,
    signal: AbortSignal,
    onScanned: (next: string) => boolean,
  ): Promise<Page> => {
    try {
      const command = new ListObjectsV2Command({
        Bucket: options.bucket,
        Prefix: prefix === "" ? undefined : prefix,
        ContinuationToken: token,
      });
      // Inside the SDK's deserializer (same step, lower priority): the raw page, before its parse.
      command.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const body = await bufferBody(result.response as { statusCode?: number; body?: unknown });
          const scanned = body === undefined ? undefined : scanNextToken(body);
          // Stryker disable next-line BlockStatement: the yield only lets the next request reach its socket before the parse; same requests, same pages
          if (scanned !== undefined && onScanned(scanned)) {
            // The parse is one long synchronous stretch: let the next request reach its socket first.
            await new Promise((resolve) => setImmediate(resolve));
          }
          return result;
        },
        // Stryker disable next-line StringLiteral: the SDK's stack keeps an entry of an unknown step or priority where it was added, innermost, as these place it; the name is unique per command anyway
        { step: "deserialize", priority: "low", name: "droxListingScan" },
      );
      const out = await options.s3.send(command, { abortSignal: signal });
      const objects = (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined
          ? []
          : [{ key: o.Key.slice(prefix.length), size: o.Size ?? 0, etag: o.ETag ?? "" }],
      );
      return { objects, next: out.IsTruncated ? out.NextContinuationToken : undefined };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw bucketError(options.role, options.bucket, "list", error);
    }
  };
  // Pages requested and taken in order by the caller; `held` counts the requests started and not
  // yet taken, speculative ones included (the bound); `deferred` is the token of the next page when
  // the bound was reached as its predecessor arrived (requested once the caller takes one).
  const queue: Promise<Page>[] = [];
  let held = 0;
  let deferred: string | undefined;
  let closed = false;
  const start = (token: string | undefined, speculative: boolean): Link => {
    held += 1;
    // Its own signal, which the listing's aborts too: a listener removed once the page settles
    // rather than AbortSignal.any, which would tie a signal per page to the run's long-lived one.
    const controller = new AbortController();
    // Stryker disable next-line OptionalChaining: forward runs only on the signal's abort or once it is aborted, so the signal exists
    const forward = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", forward);
    if (options.signal?.aborted) forward();
    let dropped = false;
    /**
     * Starts the successor's request from the scanned token if the bound allows; says whether it did.
     * Called once the page's body has arrived, so `link` below is defined by then.
     */
    const onScanned = (next: string): boolean => {
      if (link.ahead !== undefined || dropped || closed || held >= depth) return false;
      link.ahead = start(next, true);
      // Stryker disable next-line BooleanLiteral: true only makes the scan yield once (the BlockStatement above): same requests, same pages
      return true;
    };
    const attempt = () => fetchPage(token, controller.signal, onScanned);
    // A speculative request that fails is asked again as the normal one would be: its error, if
    // any, is the second attempt's, met by the caller at that page.
    const page = speculative
      ? attempt().catch((error: unknown) => {
          if (dropped || options.signal?.aborted) throw error;
          return attempt();
        })
      : attempt();
    // Also keeps a dropped or not yet confirmed request's failure (nobody's) from being unhandled.
    const release = () => options.signal?.removeEventListener("abort", forward);
    page.then(release, release);
    const link: Link = {
      token,
      page,
      drop: () => {
        if (dropped) return;
        dropped = true;
        held -= 1;
        controller.abort();
        link.ahead?.drop();
      },
    };
    return link;
  };
  // A link joins the queue once its predecessor's parsed token confirms it, so pages stay in
  // order; from then on its own successor follows from its parse.
  const confirm = (link: Link): void => {
    queue.push(link.page);
    link.page.then(
      (p) => {
        // Consumed here: a confirmed link holding its successor would keep every page it led to.
        const ahead = link.ahead;
        link.ahead = undefined;
        if (p.next === undefined || closed) return ahead?.drop();
        if (ahead !== undefined && ahead.token === p.next) return confirm(ahead);
        ahead?.drop();
        if (held < depth) confirm(start(p.next, false));
        else deferred = p.next;
      },
      () => link.ahead?.drop(),
    );
  };
  confirm(start(undefined, false));
  try {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      held -= 1;
      const page = await next;
      if (deferred !== undefined) {
        const token = deferred;
        deferred = undefined;
        confirm(start(token, false));
      }
      options.onPage?.(page.objects.length);
      yield page.objects;
    }
  } finally {
    closed = true;
  }
}

/**
 * S3's order: ascending UTF-8 bytes, which is code point order. UTF-16 units (JavaScript's `<`)
 * agree with it except between a surrogate (half of a character beyond U+FFFF) and U+E000–U+FFFF,
 * where the surrogate's character is the larger; the first differing unit decides, shifted so that
 * surrogates rank above U+E000–U+FFFF (the fix-up of ICU's u_strCompare in code point order).
 * Called for every key of both listings, so it compares in place instead of encoding both keys.
 * S3 keys are valid UTF-8, so they hold no lone surrogates.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
  }
  return a.length - b.length;
}

/** A unit at or above U+D800, ranked in code point order: U+E000–U+FFFF below the surrogates. */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

export interface JoinedEntry {
  readonly source: ListedObject;
  /** The backup's object under the same key, if there is one. */
  readonly backup?: ListedObject;
}

/**
 * One side of the join: the object it is at, and the next. Inside a page moving on is synchronous;
 * only a page boundary waits (a listing from listObjects is read a page at a time, any other
 * iterable object by object), so the join spends no promise per key on its inputs.
 */
class Cursor {
  private page: readonly ListedObject[] = [];
  private at = 0;
  private ended = false;
  private readonly pages: AsyncIterator<readonly ListedObject[]>;

  constructor(listing: Paged) {
    this.pages = listing[PAGES] ?? onePerPage(listing);
  }

  /** The object the cursor is at; undefined once the listing has ended. */
  get value(): ListedObject | undefined {
    return this.page[this.at];
  }

  /** Moves to the next object: undefined when it was in the page, else a promise of the next page. */
  next(): Promise<void> | undefined {
    this.at += 1;
    return this.at < this.page.length ? undefined : this.fill();
  }

  /** Reads pages until one has an object (S3 may answer a page with none) or the listing ends. */
  async fill(): Promise<void> {
    while (this.at >= this.page.length && !this.ended) {
      const result = await this.pages.next();
      if (result.done) {
        this.ended = true;
        this.page = [];
      } else {
        this.page = result.value;
      }
      this.at = 0;
    }
  }

  close(): Promise<unknown> | undefined {
    // Stryker disable next-line OptionalChaining: both page sources are async generators, which always have return
    return this.pages.return?.(undefined);
  }
}

async function* onePerPage(listing: AsyncIterable<ListedObject>): AsyncGenerator<readonly ListedObject[]> {
  for await (const object of listing) yield [object];
}

/**
 * Merge-joins two key-ordered listings. Backup objects without a source object (deleted from the
 * source since) are counted through `onBackupOnly` and otherwise ignored: backups keep them.
 */
export async function* joinListings(
  source: AsyncIterable<ListedObject>,
  backup: AsyncIterable<ListedObject>,
  onBackupOnly?: (entry: ListedObject) => void,
): AsyncGenerator<JoinedEntry> {
  const s = new Cursor(source);
  const b = new Cursor(backup);
  try {
    // Both first pages at once: neither listing waits for the other's first round trip.
    await Promise.all([s.fill(), b.fill()]);
    for (let src = s.value; src !== undefined; src = s.value) {
      for (let bak = b.value; bak !== undefined && compareKeys(bak.key, src.key) < 0; bak = b.value) {
        onBackupOnly?.(bak);
        const more = b.next();
        if (more !== undefined) await more;
      }
      const bak = b.value;
      if (bak !== undefined && bak.key === src.key) {
        yield { source: src, backup: bak };
        const sourcePage = s.next();
        const backupPage = b.next();
        if (sourcePage !== undefined || backupPage !== undefined) await Promise.all([sourcePage, backupPage]);
      } else {
        yield { source: src };
        const more = s.next();
        if (more !== undefined) await more;
      }
    }
    for (let bak = b.value; bak !== undefined; bak = b.value) {
      onBackupOnly?.(bak);
      const more = b.next();
      if (more !== undefined) await more;
    }
  } finally {
    // A join stopped early (a failed run) closes both listings, so no prefetch is chained further.
    // Not awaited: a listing still waiting for a page closes once that page arrives.
    void Promise.allSettled([s.close(), b.close()]);
  }
}

/** ETags compare without their quotes (some tools strip them). */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "");
}
