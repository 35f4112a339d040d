import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import {
  CHECKPOINT_EVERY_MS,
  CHECKPOINT_EVERY_PAIRS,
  CHECKPOINT_SLOTS,
  EtagPairs,
  etagPairsCheckpointKey,
  etagPairsKey,
  loadEtagPairs,
  startCheckpoints,
  storeEtagPairs,
  storeEtagPairsAtEnd,
  storeEtagPairsCheckpoint,
  type Slot,
} from "../runtime/jobs/s3-etag-pairs";
import { FakeS3Objects, s3Failure } from "./fakes/s3-objects";

const BUCKET = "drox-backups";
const PREFIX = "photos/";
const FILE = ".drox-backup/etag-pairs/photos/pairs.json";
const slotKey = (slot: number) =>
  `.drox-backup/etag-pairs/photos/pairs.checkpoint-${String(slot).padStart(2, "0")}.json`;

/** An ETag as S3 gives it for a single-part PUT: the MD5 of the data, without its quotes here. */
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

function store(): { s3: S3Client; fake: FakeS3Objects } {
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  return { s3, fake: new FakeS3Objects(s3) };
}

const pairsFile = (pairs: [string, string][], folded?: Record<string, string>) =>
  JSON.stringify({ version: 1, pairs, ...(folded === undefined ? {} : { folded }) });

const sorted = (pairs: ReadonlyMap<string, string> | undefined) =>
  [...(pairs ?? new Map<string, string>())].sort();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("S3 pairs of ETags", () => {
  it("must keep the file and its checkpoint slots under fixed keys beside the copies' prefix", () => {
    assert.equal(etagPairsKey(PREFIX), FILE);
    assert.equal(
      etagPairsCheckpointKey(PREFIX, 0),
      ".drox-backup/etag-pairs/photos/pairs.checkpoint-00.json",
    );
    assert.equal(
      etagPairsCheckpointKey(PREFIX, 7),
      ".drox-backup/etag-pairs/photos/pairs.checkpoint-07.json",
    );
    assert.equal(
      etagPairsCheckpointKey(PREFIX, 15),
      ".drox-backup/etag-pairs/photos/pairs.checkpoint-15.json",
    );
    assert.equal(CHECKPOINT_SLOTS, 16);
    assert.equal(CHECKPOINT_EVERY_PAIRS, 1000);
    assert.equal(CHECKPOINT_EVERY_MS, 30_000);
  });

  describe("EtagPairs", () => {
    it("must match a copy to its source only by the pair recorded for it, quotes or not", () => {
      const pairs = new EtagPairs(new Map([["c1", "s1"]]));
      assert.equal(pairs.matches('"c1"', '"s1"'), true);
      assert.equal(pairs.matches("c1", "s2"), false, "the source changed since the copy");
      assert.equal(pairs.matches("c9", "s1"), false, "no pair known for that copy");
      assert.equal(pairs.sourceOf('"c1"'), "s1");
      assert.equal(pairs.sourceOf("c9"), undefined);
    });

    it("must record a copy's pair once, and nothing for an empty or unchanged ETag", () => {
      const pairs = new EtagPairs(new Map([["c1", "s1"]]));
      pairs.record(undefined, "s0");
      pairs.record('""', "s0");
      pairs.record('"same"', "same");
      assert.equal(pairs.freshCount, 0);
      assert.equal(pairs.sourceOf("same"), undefined);
      pairs.record('"c1"', '"s1"');
      assert.equal(pairs.freshCount, 0, "already in the file");
      pairs.record('"c2"', '"s2"');
      pairs.record("c2", "s2");
      assert.equal(pairs.freshCount, 1);
      assert.equal(pairs.sourceOf("c2"), "s2");
      // A copy whose source changed: the new pair replaces the old one.
      pairs.record("c1", "s1b");
      assert.equal(pairs.sourceOf("c1"), "s1b");
      assert.deepEqual(sorted(pairs.takeFresh()), [
        ["c1", "s1b"],
        ["c2", "s2"],
      ]);
      assert.equal(pairs.freshCount, 0);
    });

    it("must count a pair seen again as added only once", () => {
      const pairs = new EtagPairs();
      pairs.record("c1", "s1");
      pairs.takeFresh();
      pairs.record("c1", "s1");
      assert.equal(pairs.freshCount, 0, "seen by this run already");
      assert.deepEqual(sorted(pairs.toStore(true)), [["c1", "s1"]]);
    });

    it("must make a checkpoint due at everyPairs, or at a sixteenth of a larger file", () => {
      const small = new EtagPairs(new Map([["c0", "s0"]]));
      small.record("c1", "s1");
      assert.equal(small.checkpointDue(2), false);
      small.record("c2", "s2");
      assert.equal(small.checkpointDue(2), true);
      assert.equal(small.checkpointDue(3), false);
      // 33 pairs in the file: a sixteenth is 2.06, so 3 fresh pairs are due, 2 are not.
      const file = new Map(Array.from({ length: 33 }, (_, i): [string, string] => [`k${i}`, `v${i}`]));
      const large = new EtagPairs(file);
      large.record("n1", "m1");
      large.record("n2", "m2");
      assert.equal(large.checkpointDue(1), false);
      large.record("n3", "m3");
      assert.equal(large.checkpointDue(1), true);
      // Once stored with fewer pairs, the file's size sizes the checkpoints.
      large.stored(16);
      assert.equal(large.checkpointDue(3), true);
      assert.equal(large.checkpointDue(4), false);
    });

    it("must put a failed checkpoint's pairs back under the pairs recorded since", () => {
      const pairs = new EtagPairs();
      pairs.record("c1", "s1");
      pairs.record("c2", "s2");
      const taken = pairs.takeFresh();
      pairs.record("c2", "s2b");
      pairs.putBack(taken);
      assert.deepEqual(sorted(pairs.takeFresh()), [
        ["c1", "s1"],
        ["c2", "s2b"],
      ]);
    });

    it("must know each slot it wrote as not yet in the file, until the file is stored", () => {
      const slots = new Map<string, Slot>([["a", { etag: "e0", folded: true }]]);
      const pairs = new EtagPairs(new Map(), { slots });
      pairs.wrote("b", '"e1"');
      pairs.wrote("c", undefined);
      assert.deepEqual(pairs.slot("a"), { etag: "e0", folded: true });
      assert.deepEqual(pairs.slot("b"), { etag: "e1", folded: false });
      assert.deepEqual(pairs.slot("c"), { etag: "", folded: false });
      assert.equal(pairs.slot("d"), undefined);
      assert.deepEqual(pairs.foldedSlots(), { a: "e0", b: "e1", c: "" });
      pairs.stored(0);
      assert.deepEqual(pairs.slot("b"), { etag: "e1", folded: true });
      assert.deepEqual(pairs.slot("a"), { etag: "e0", folded: true });
      assert.equal(slots.get("b"), undefined, "the loaded slots are copied, not changed");
    });

    it("must store after a complete run only the pairs it saw, and nothing when they are the file's", () => {
      const known = new Map([
        ["c1", "s1"],
        ["c2", "s2"],
      ]);
      const same = new EtagPairs(known);
      same.matches("c1", "s1");
      same.matches("c2", "s2");
      assert.equal(same.toStore(true), undefined);
      assert.equal(same.toStore(false), undefined);

      const fewer = new EtagPairs(known);
      fewer.matches("c1", "s1");
      assert.deepEqual(sorted(fewer.toStore(true)), [["c1", "s1"]], "c2's object is gone from the source");
      assert.equal(fewer.toStore(false), undefined, "an interrupted run keeps the file as it is");

      const more = new EtagPairs(known);
      more.matches("c1", "s1");
      more.matches("c2", "s2");
      more.record("c3", "s3");
      assert.deepEqual(sorted(more.toStore(true)), [
        ["c1", "s1"],
        ["c2", "s2"],
        ["c3", "s3"],
      ]);
      const interrupted = new EtagPairs(known);
      interrupted.record("c3", "s3");
      interrupted.record("c1", "s1b");
      assert.deepEqual(sorted(interrupted.toStore(false)), [
        ["c1", "s1b"],
        ["c2", "s2"],
        ["c3", "s3"],
      ]);
    });

    it("must store the file again when a slot holds pairs it does not, and never when it was unreadable", () => {
      const known = new Map([["c1", "s1"]]);
      const slots = new Map<string, Slot>([
        ["a", { etag: "e0", folded: true }],
        ["b", { etag: "e1", folded: false }],
      ]);
      const pending = new EtagPairs(known, { slots });
      pending.matches("c1", "s1");
      assert.deepEqual(sorted(pending.toStore(true)), [["c1", "s1"]]);
      assert.deepEqual(sorted(pending.toStore(false)), [["c1", "s1"]]);
      const folded = new EtagPairs(known, { slots: new Map([["a", { etag: "e0", folded: true }]]) });
      folded.matches("c1", "s1");
      assert.equal(folded.toStore(true), undefined);

      const unreadable = new EtagPairs(known, { unreadable: "AccessDenied: Access Denied" });
      assert.equal(unreadable.unreadable, "AccessDenied: Access Denied");
      unreadable.record("c2", "s2");
      assert.equal(unreadable.toStore(true), undefined);
      assert.equal(unreadable.toStore(false), undefined);
      assert.equal(new EtagPairs().unreadable, undefined);
    });
  });

  describe("loadEtagPairs", () => {
    it("must find none on a first run with one GET of the file and one of slot 00", async () => {
      const { s3, fake } = store();
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(pairs.unreadable, undefined);
      assert.equal(pairs.sourceOf("c1"), undefined);
      assert.equal(pairs.toStore(true), undefined, "nothing to store");
      assert.deepEqual(
        fake.requests.map((r) => [r.command, r.bucket, r.key, r.input.IfNoneMatch]),
        [
          ["GetObjectCommand", BUCKET, FILE, undefined],
          ["GetObjectCommand", BUCKET, slotKey(0), undefined],
        ],
      );
    });

    it("must skip the slots the file holds with a conditional GET S3 answers 304 without the body", async () => {
      const { s3, fake } = store();
      const slot0 = fake.putText(BUCKET, slotKey(0), pairsFile([["c1", "old"]]));
      fake.putText(BUCKET, FILE, pairsFile([["c1", "s1"]], { [slotKey(0)]: slot0.replace(/"/g, "") }));
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(pairs.sourceOf("c1"), "s1", "the held slot's older pair is not read");
      assert.deepEqual(pairs.slot(slotKey(0)), { etag: md5(pairsFile([["c1", "old"]])), folded: true });
      assert.equal(pairs.slot(slotKey(1)), undefined);
      assert.deepEqual(
        fake.requests.map((r) => [r.key, r.input.IfNoneMatch]),
        [
          [FILE, undefined],
          [slotKey(0), slot0],
        ],
        "slot 01 is not asked for: the file held 00",
      );
      pairs.matches("c1", "s1");
      assert.equal(pairs.toStore(true), undefined, "the file holds every pair and slot already");
    });

    it("must know a held slot by its ETag when the server ignores If-None-Match", async () => {
      const { s3, fake } = store();
      const slot0 = fake.putText(BUCKET, slotKey(0), pairsFile([["c1", "old"]]));
      fake.putText(BUCKET, FILE, pairsFile([["c1", "s1"]], { [slotKey(0)]: slot0.replace(/"/g, "") }));
      s3.middlewareStack.add(
        (next) => async (args) => {
          delete (args.input as { IfNoneMatch?: string }).IfNoneMatch;
          return next(args);
        },
        { step: "initialize", name: "ignoreIfNoneMatch", priority: "high" },
      );
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(pairs.sourceOf("c1"), "s1");
      assert.deepEqual(pairs.slot(slotKey(0)), { etag: slot0.replace(/"/g, ""), folded: true });
      assert.equal(fake.requests.length, 2);
    });

    it("must read the slots a run that died left, up to the first missing one, newer than the file", async () => {
      const { s3, fake } = store();
      fake.putText(
        BUCKET,
        FILE,
        pairsFile([
          ["c1", "s1"],
          ["c2", "s2"],
        ]),
      );
      const e0 = fake.putText(BUCKET, slotKey(0), pairsFile([["c2", "s2b"]]));
      const e1 = fake.putText(BUCKET, slotKey(1), pairsFile([["c3", "s3"]]));
      fake.putText(BUCKET, slotKey(3), pairsFile([["c4", "s4"]]));
      const controller = new AbortController();
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX, controller.signal);
      assert.ok(
        fake.requests.every((r) => r.signal === controller.signal),
        "every read can be aborted with the run",
      );
      assert.equal(pairs.sourceOf("c1"), "s1");
      assert.equal(pairs.sourceOf("c2"), "s2b", "a checkpoint is newer than the file");
      assert.equal(pairs.sourceOf("c3"), "s3");
      assert.equal(pairs.sourceOf("c4"), undefined, "beyond the first missing slot");
      assert.deepEqual(pairs.slot(slotKey(0)), { etag: e0.replace(/"/g, ""), folded: false });
      assert.deepEqual(pairs.slot(slotKey(1)), { etag: e1.replace(/"/g, ""), folded: false });
      assert.equal(pairs.slot(slotKey(2)), undefined);
      assert.deepEqual(
        fake.requests.map((r) => r.key),
        [FILE, slotKey(0), slotKey(1), slotKey(2)],
      );
      // The slots' pairs are not in the file yet: a complete run stores it with them.
      pairs.matches("c1", "s1");
      pairs.matches("c2", "s2b");
      pairs.matches("c3", "s3");
      assert.deepEqual(sorted(pairs.toStore(true)), [
        ["c1", "s1"],
        ["c2", "s2b"],
        ["c3", "s3"],
      ]);
    });

    it("must read at most the sixteen slots", async () => {
      const { s3, fake } = store();
      for (let slot = 0; slot < 17; slot++)
        fake.putText(BUCKET, slotKey(slot), pairsFile([[`c${slot}`, "s"]]));
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(fake.requests.length, 1 + 16);
      assert.equal(pairs.sourceOf("c15"), "s");
      assert.equal(pairs.sourceOf("c16"), undefined);
    });

    it("must take a damaged or unknown file as no pairs, and skip malformed pairs", async () => {
      for (const text of [
        "{not json",
        "",
        JSON.stringify({ version: 2, pairs: [["c1", "s1"]] }),
        '{"version":1}',
      ]) {
        const { s3, fake } = store();
        fake.putText(BUCKET, FILE, text);
        const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
        assert.equal(pairs.sourceOf("c1"), undefined, text);
        assert.equal(
          pairs.unreadable,
          undefined,
          "damaged is not unreadable: the next complete run replaces it",
        );
      }
      const { s3, fake } = store();
      fake.putText(
        BUCKET,
        FILE,
        JSON.stringify({
          version: 1,
          pairs: [["c1", "s1"], ["c2"], ["c3", 3], [4, "s4"], "c5,s5", null, ["c6", "s6"]],
          folded: "slot",
        }),
      );
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(pairs.sourceOf("c1"), "s1");
      assert.equal(pairs.sourceOf("c6"), "s6");
      assert.equal(pairs.sourceOf("c2"), undefined);
      assert.equal(pairs.sourceOf("c3"), undefined);
      assert.equal(pairs.sourceOf("4"), undefined);
      assert.equal(pairs.sourceOf("c"), undefined, "a string is no pair");
      pairs.record("c7", "s7");
      assert.deepEqual(sorted(pairs.toStore(false)), [
        ["c1", "s1"],
        ["c6", "s6"],
        ["c7", "s7"],
      ]);
      assert.deepEqual(
        fake.requests.map((r) => r.input.IfNoneMatch),
        [undefined, undefined],
        "a folded list that is no object names no slot",
      );
    });

    it("must take a folded list that is null as naming no slot", async () => {
      const { s3, fake } = store();
      fake.putText(BUCKET, FILE, JSON.stringify({ version: 1, pairs: [["c1", "s1"]], folded: null }));
      fake.putText(BUCKET, slotKey(0), pairsFile([["c2", "s2"]]));
      const pairs = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(pairs.unreadable, undefined);
      assert.equal(pairs.sourceOf("c2"), "s2");
      assert.equal(pairs.slot(slotKey(0))?.folded, false);
    });

    it("must take an answer without a body as no pairs, and a bare 404 as no object", async () => {
      const { s3, fake } = store();
      fake.putText(BUCKET, FILE, pairsFile([["c1", "s1"]]));
      fake.putText(BUCKET, slotKey(0), pairsFile([["c2", "s2"]]));
      s3.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          delete (result.output as { Body?: unknown }).Body;
          return result;
        },
        { step: "initialize", name: "noBody", priority: "high" },
      );
      const empty = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(empty.unreadable, undefined);
      assert.equal(empty.sourceOf("c1"), undefined);
      assert.equal(empty.sourceOf("c2"), undefined);
      assert.equal(empty.slot(slotKey(0))?.folded, false, "slot 00 exists all the same");

      // A 404 whose body the SDK could not read is named NotFound, as a HEAD's is.
      const bare = store();
      bare.fake.putText(BUCKET, slotKey(1), pairsFile([["c3", "s3"]]));
      bare.fake.fail = (r) => (r.key === slotKey(1) ? undefined : s3Failure("NotFound", 404, ""));
      const none = await loadEtagPairs(bare.s3, BUCKET, PREFIX);
      assert.equal(none.unreadable, undefined);
      assert.equal(bare.fake.requests.length, 2, "slot 00 missing: slot 01 is not read");
    });

    it("must say why stored pairs could not be read, keeping those that could", async () => {
      const denied = store();
      denied.fake.putText(BUCKET, FILE, pairsFile([["c1", "s1"]]));
      denied.fake.putText(BUCKET, slotKey(0), pairsFile([["c2", "s2"]]));
      denied.fake.fail = (r) =>
        r.key === FILE ? s3Failure("AccessDenied", 403, "Access Denied") : undefined;
      const withoutFile = await loadEtagPairs(denied.s3, BUCKET, PREFIX);
      assert.equal(withoutFile.unreadable, "AccessDenied: Access Denied");
      assert.equal(withoutFile.sourceOf("c2"), "s2", "the slots are still read");
      withoutFile.matches("c2", "s2");
      assert.equal(withoutFile.toStore(true), undefined, "an unreadable file is never replaced");

      const slow = store();
      slow.fake.putText(BUCKET, FILE, pairsFile([["c1", "s1"]]));
      slow.fake.putText(BUCKET, slotKey(0), pairsFile([["c2", "s2"]]));
      slow.fake.putText(BUCKET, slotKey(1), pairsFile([["c3", "s3"]]));
      slow.fake.fail = (r) =>
        r.key === slotKey(1) ? s3Failure("SlowDown", 503, "Please reduce your request rate.") : undefined;
      const withoutSlot = await loadEtagPairs(slow.s3, BUCKET, PREFIX);
      assert.equal(withoutSlot.unreadable, "SlowDown: Please reduce your request rate.");
      assert.equal(withoutSlot.sourceOf("c1"), "s1");
      assert.equal(withoutSlot.sourceOf("c2"), "s2");
      assert.equal(slow.fake.requests.length, 3, "no slot after the one that failed");

      const both = store();
      both.fake.fail = (r) =>
        r.key === FILE
          ? s3Failure("AccessDenied", 403, "Access Denied")
          : s3Failure("InternalError", 500, "We encountered an internal error. Please try again.");
      assert.equal((await loadEtagPairs(both.s3, BUCKET, PREFIX)).unreadable, "AccessDenied: Access Denied");
    });

    it("must throw the run's abort instead of answering with what it read", async () => {
      const { s3, fake } = store();
      const controller = new AbortController();
      const reason = new Error("run cancelled");
      fake.fail = () => {
        controller.abort(reason);
        return Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
      };
      await assert.rejects(loadEtagPairs(s3, BUCKET, PREFIX, controller.signal), (error) => error === reason);
    });
  });

  describe("storing", () => {
    it("must write the file as JSON sorted by copy ETag, naming the slots it holds only if any", async () => {
      const { s3, fake } = store();
      const pairs = new Map([
        ["cb", "s2"],
        ["ca", "s1"],
        ["cc", "s3"],
      ]);
      await storeEtagPairs(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, FILE)!), {
        version: 1,
        pairs: [
          ["ca", "s1"],
          ["cb", "s2"],
          ["cc", "s3"],
        ],
      });
      assert.equal(fake.objects.get(`${BUCKET}/${FILE}`)?.contentType, "application/json");
      const keys = ["e5", "a1", "d4", "b2", "f6", "c3"];
      for (const order of [keys, [...keys].reverse(), [...keys].sort(), [...keys].sort().reverse()]) {
        await storeEtagPairs(s3, BUCKET, PREFIX, new Map(order.map((k): [string, string] => [k, `s-${k}`])));
        assert.deepEqual(
          JSON.parse(fake.text(BUCKET, FILE)!).pairs.map(([k]: [string]) => k),
          ["a1", "b2", "c3", "d4", "e5", "f6"],
          order.join(),
        );
      }
      await storeEtagPairs(s3, BUCKET, PREFIX, new Map([["c", "s"]]), { [slotKey(0)]: "e0" });
      assert.deepEqual(JSON.parse(fake.text(BUCKET, FILE)!), {
        version: 1,
        pairs: [["c", "s"]],
        folded: { [slotKey(0)]: "e0" },
      });
      // What is written reads back.
      const loaded = await loadEtagPairs(s3, BUCKET, PREFIX);
      assert.equal(loaded.sourceOf("c"), "s");
    });

    it("must write fresh pairs into the slots in turn, wrapping after the sixteenth", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs();
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.equal(fake.requests.length, 0, "no fresh pair, no PUT");
      pairs.record("c1", "s1");
      pairs.record("c0", "s0");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, slotKey(0))!), {
        version: 1,
        pairs: [
          ["c0", "s0"],
          ["c1", "s1"],
        ],
      });
      assert.equal(fake.objects.get(`${BUCKET}/${slotKey(0)}`)?.contentType, "application/json");
      assert.equal(pairs.freshCount, 0);
      assert.equal(pairs.nextSlot, 1);
      assert.deepEqual(pairs.slot(slotKey(0)), {
        etag: fake.objects.get(`${BUCKET}/${slotKey(0)}`)!.etag.replace(/"/g, ""),
        folded: false,
      });
      pairs.nextSlot = 15;
      pairs.record("c2", "s2");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, slotKey(15))!).pairs, [["c2", "s2"]]);
      assert.equal(pairs.nextSlot, 0);
      assert.equal(fake.sent("PutObject").length, 2, "no file yet: slots 00 and 15 were free");
    });

    it("must rewrite the file before a slot whose pairs it does not hold is overwritten", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs(new Map([["c0", "s0"]]));
      pairs.record("c1", "s1");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      const e0 = fake.objects.get(`${BUCKET}/${slotKey(0)}`)!.etag.replace(/"/g, "");
      pairs.nextSlot = 0;
      pairs.record("c2", "s2");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(0), FILE, slotKey(0)],
      );
      assert.deepEqual(JSON.parse(fake.text(BUCKET, FILE)!), {
        version: 1,
        pairs: [
          ["c0", "s0"],
          ["c1", "s1"],
          ["c2", "s2"],
        ],
        folded: { [slotKey(0)]: e0 },
      });
      assert.deepEqual(JSON.parse(fake.text(BUCKET, slotKey(0))!).pairs, [["c2", "s2"]]);
      assert.equal(pairs.slot(slotKey(0))?.folded, false, "the slot's new pairs are not in the file");
    });

    it("must size the next checkpoints by the file it rewrote", async () => {
      const { s3 } = store();
      const pairs = new EtagPairs();
      for (let i = 0; i < 40; i++) pairs.record(`c${i}`, `s${i}`);
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      pairs.nextSlot = 0;
      pairs.record("c40", "s40");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      // 41 pairs in the file: a checkpoint is due at ceil(41 / 16) = 3 fresh pairs, not 2.
      pairs.record("c41", "s41");
      pairs.record("c42", "s42");
      assert.equal(pairs.checkpointDue(1), false);
      pairs.record("c43", "s43");
      assert.equal(pairs.checkpointDue(1), true);
    });

    it("must write an empty file naming the slots when nothing else changed", async () => {
      const { s3, fake } = store();
      const slots = new Map<string, Slot>([[slotKey(0), { etag: "e0", folded: false }]]);
      const pairs = new EtagPairs(new Map(), { slots });
      pairs.record("c1", "s1");
      pairs.takeFresh();
      pairs.record("c2", "s2");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, FILE)!), {
        version: 1,
        pairs: [
          ["c1", "s1"],
          ["c2", "s2"],
        ],
        folded: { [slotKey(0)]: "e0" },
      });
    });

    it("must use only free slots when the file could not be read, and none when every slot is taken", async () => {
      const { s3, fake } = store();
      const slots = new Map<string, Slot>([
        [slotKey(0), { etag: "e0", folded: false }],
        [slotKey(1), { etag: "e1", folded: true }],
      ]);
      const pairs = new EtagPairs(new Map(), { slots, unreadable: "AccessDenied: Access Denied" });
      pairs.record("c1", "s1");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(1)],
        "slot 00 holds pairs no file has: kept; slot 01 is in the file",
      );
      assert.equal(pairs.nextSlot, 2);
      pairs.nextSlot = 15;
      pairs.record("c2", "s2");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.equal(fake.sent("PutObject").at(-1)?.key, slotKey(15));
      assert.equal(pairs.nextSlot, 0);
      pairs.record("c3", "s3");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.equal(fake.sent("PutObject").at(-1)?.key, slotKey(2), "the next free one after 00 and 01");

      const full = new Map<string, Slot>(
        Array.from({ length: CHECKPOINT_SLOTS }, (_, i): [string, Slot] => [
          slotKey(i),
          { etag: `e${i}`, folded: false },
        ]),
      );
      const stuck = new EtagPairs(new Map(), { slots: full, unreadable: "AccessDenied: Access Denied" });
      stuck.record("c1", "s1");
      const before = fake.requests.length;
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, stuck);
      assert.equal(fake.requests.length, before, "no slot may be overwritten");
      assert.equal(stuck.freshCount, 1);
    });

    it("must keep a failed checkpoint's pairs for the next one and throw", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs();
      pairs.record("c1", "s1");
      const slow = s3Failure("SlowDown", 503, "Please reduce your request rate.");
      fake.fail = () => slow;
      await assert.rejects(storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs), (error) => error === slow);
      assert.equal(pairs.freshCount, 1);
      assert.equal(pairs.nextSlot, 0);
      assert.equal(pairs.slot(slotKey(0)), undefined);
      fake.fail = () => undefined;
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, slotKey(0))!).pairs, [["c1", "s1"]]);
    });

    it("must store the file at the end when it changed, naming the slots it folds", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs(new Map([["c0", "s0"]]));
      pairs.record("c1", "s1");
      await storeEtagPairsCheckpoint(s3, BUCKET, PREFIX, pairs);
      const e0 = fake.objects.get(`${BUCKET}/${slotKey(0)}`)!.etag.replace(/"/g, "");
      pairs.record("c2", "s2");
      await storeEtagPairsAtEnd(s3, BUCKET, PREFIX, pairs, true);
      assert.deepEqual(JSON.parse(fake.text(BUCKET, FILE)!), {
        version: 1,
        pairs: [
          ["c1", "s1"],
          ["c2", "s2"],
        ],
        folded: { [slotKey(0)]: e0 },
      });
      assert.equal(pairs.slot(slotKey(0))?.folded, true);
    });

    it("must size the checkpoints after the end's file by that file", async () => {
      const { s3 } = store();
      const pairs = new EtagPairs();
      for (let i = 0; i < 40; i++) pairs.record(`c${i}`, `s${i}`);
      await storeEtagPairsAtEnd(s3, BUCKET, PREFIX, pairs, false);
      pairs.takeFresh();
      pairs.record("c40", "s40");
      pairs.record("c41", "s41");
      assert.equal(pairs.checkpointDue(1), false, "40 pairs stored: due at 3");
      pairs.record("c42", "s42");
      assert.equal(pairs.checkpointDue(1), true);
    });

    it("must leave an unchanged file alone at the end, and checkpoint what an unreadable file cannot take", async () => {
      const { s3, fake } = store();
      const same = new EtagPairs(new Map([["c0", "s0"]]));
      same.matches("c0", "s0");
      await storeEtagPairsAtEnd(s3, BUCKET, PREFIX, same, true);
      assert.equal(fake.requests.length, 0);

      const unreadable = new EtagPairs(new Map(), { unreadable: "AccessDenied: Access Denied" });
      unreadable.record("c1", "s1");
      await storeEtagPairsAtEnd(s3, BUCKET, PREFIX, unreadable, true);
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(0)],
      );
    });
  });

  describe("startCheckpoints", () => {
    it("must checkpoint once enough pairs wait, one write at a time, and wait for it on stop", async () => {
      const { s3, fake } = store();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      s3.middlewareStack.add(
        (next) => async (args) => {
          await held;
          return next(args);
        },
        { step: "initialize", name: "holdPuts", priority: "high" },
      );
      const pairs = new EtagPairs();
      const checkpoints = startCheckpoints({ s3, backupBucket: BUCKET, prefix: PREFIX }, pairs, {
        everyPairs: 2,
        everyMs: 60_000,
      });
      pairs.record("c1", "s1");
      checkpoints.afterRecord();
      await sleep(5);
      assert.equal(pairs.freshCount, 1, "one pair is not due");
      pairs.record("c2", "s2");
      checkpoints.afterRecord();
      pairs.record("c3", "s3");
      pairs.record("c4", "s4");
      checkpoints.afterRecord();
      let stopped = false;
      const stopping = checkpoints.stop().then(() => (stopped = true));
      await sleep(5);
      assert.equal(stopped, false, "stop waits for the write under way");
      release();
      await stopping;
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(0)],
        "the second due checkpoint did not start while the first was writing",
      );
      assert.deepEqual(JSON.parse(fake.text(BUCKET, slotKey(0))!).pairs, [
        ["c1", "s1"],
        ["c2", "s2"],
      ]);
      assert.equal(pairs.freshCount, 2);
    });

    it("must checkpoint every everyMs while pairs wait, survive a failed write, and stop ticking", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs();
      let failures = 1;
      fake.fail = () =>
        failures-- > 0 ? s3Failure("InternalError", 500, "We encountered an internal error.") : undefined;
      const checkpoints = startCheckpoints({ s3, backupBucket: BUCKET, prefix: PREFIX }, pairs, {
        everyPairs: 1000,
        everyMs: 20,
      });
      await sleep(50);
      assert.equal(fake.requests.length, 0, "nothing waits, nothing written");
      pairs.record("c1", "s1");
      checkpoints.afterRecord();
      // Two ticks, however late a loaded machine runs them.
      for (let waited = 0; fake.sent("PutObject").length < 2 && waited < 3000; waited += 10) await sleep(10);
      await sleep(5);
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(0), slotKey(0)],
        "the failed write's pairs went into the next tick's",
      );
      assert.equal(pairs.freshCount, 0);
      await checkpoints.stop();
      pairs.record("c2", "s2");
      await sleep(50);
      assert.equal(fake.requests.length, 2, "no tick after stop");
    });

    it("must checkpoint every CHECKPOINT_EVERY_PAIRS pairs by default, not on a short timer", async () => {
      const { s3, fake } = store();
      const pairs = new EtagPairs();
      const checkpoints = startCheckpoints({ s3, backupBucket: BUCKET, prefix: PREFIX }, pairs);
      pairs.record("c0", "s0");
      checkpoints.afterRecord();
      await sleep(50);
      assert.equal(fake.requests.length, 0, "one pair waits for 30 s or 999 more");
      for (let i = 1; i < 999; i++) pairs.record(`c${i}`, `s${i}`);
      checkpoints.afterRecord();
      await sleep(10);
      assert.equal(fake.requests.length, 0, "999 pairs are not due");
      pairs.record("c999", "s999");
      checkpoints.afterRecord();
      await checkpoints.stop();
      assert.deepEqual(
        fake.sent("PutObject").map((r) => r.key),
        [slotKey(0)],
      );
      assert.equal(JSON.parse(fake.text(BUCKET, slotKey(0))!).pairs.length, 1000);
    });

    it("must keep no timer that holds a finished process alive", async () => {
      const { s3 } = store();
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      const before = timers();
      const checkpoints = startCheckpoints({ s3, backupBucket: BUCKET, prefix: PREFIX }, new EtagPairs());
      assert.equal(timers(), before);
      await checkpoints.stop();
    });
  });
});
