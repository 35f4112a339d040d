import { strict as assert } from "node:assert";
import { StackValidationPolicy, unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import {
  booleanOr,
  collectStrings,
  isRecord,
  isUnknownValue,
  numberOr,
  stringList,
  unproxy,
} from "../policy/lib/values";
import { admitsTheWorld } from "../policy/lib/cidr";
import { refersTo, valueNames } from "../policy/lib/references";
import {
  archiveTexts,
  compilePatterns,
  DEFAULT_SECRET_PATTERNS,
  findSecrets,
} from "../policy/lib/secret-patterns";
import { Fixture, rawFixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";

const ACCOUNT = "arn:aws:iam::123456789012";

/**
 * Which fixtures the first fixture's `props[key]` points at, as "from -> target", with the resources
 * built the way the engine hands them to a stack policy (props behind the proxy, the dependency graph).
 */
async function links(key: string, resources: Fixture[]): Promise<string[]> {
  const probe: StackValidationPolicy = {
    name: "references-probe",
    description: "Reports every reference it finds.",
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
      const [from, ...others] = args.resources;
      for (const to of others.filter((r) => refersTo(from!, key, r))) report(`${from!.name} -> ${to.name}`);
    },
  };
  return (await runStackPolicy(probe, resources)).violations.map((v) => v.message);
}

/** Whether a plain value (a policy ARN in a list, a role ARN in a target) names `target`. */
async function names(value: unknown, target: Fixture): Promise<boolean> {
  let named: boolean | undefined;
  const probe: StackValidationPolicy = {
    name: "names-probe",
    description: "Records whether the value names the resource.",
    enforcementLevel: "advisory",
    validateStack: (args) => {
      named = valueNames(value, args.resources[0]!);
    },
  };
  await runStackPolicy(probe, [target]);
  return named!;
}

describe("policy helpers", () => {
  it("must read through the unknown-checking proxy without throwing on unknown values", () => {
    const props = unknownCheckingProxy({ a: { b: UNKNOWN_STRING, c: ["x", { d: "y" }] } }) as Record<
      string,
      unknown
    >;
    assert.throws(() => (props.a as Record<string, unknown>).b);
    const raw = unproxy(props) as { a: { b: string } };
    assert.equal(raw.a.b, UNKNOWN_STRING);
    assert.ok(isUnknownValue(raw.a.b));
    assert.ok(!isUnknownValue("04da6b54-80e4-46f7-96ec-b56ff0331ba8"));
    assert.deepEqual(collectStrings(props), [
      { path: "a.b", value: UNKNOWN_STRING },
      { path: "a.c[0]", value: "x" },
      { path: "a.c[1].d", value: "y" },
    ]);
  });

  it("must know every placeholder the engine sends for a value unknown at preview, one per type", () => {
    // boolean, number, string, array, asset, archive, object (@pulumi/policy proxy.js).
    const sentinels = [
      "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
      "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
      "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
      "030794c1-ac77-496b-92df-f27374a8bd58",
      "e48ece36-62e2-4504-bad9-02848725956a",
      "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    ];
    for (const sentinel of sentinels) {
      const props = unknownCheckingProxy({ value: sentinel }) as Record<string, unknown>;
      assert.throws(() => props.value, UnknownValueError, sentinel);
      assert.equal(isUnknownValue(sentinel), true, sentinel);
    }
    assert.equal(isUnknownValue(undefined), false);
  });

  it("must recognise Slack webhooks, Slack tokens and both Notion token formats, and not ARNs", () => {
    const re = compilePatterns(DEFAULT_SECRET_PATTERNS);
    const strings = [
      "https://hooks.slack.com/services/T0000/B0000/abcdefghijklmnop",
      `xoxb-${"1".repeat(12)}-abcdef`,
      `secret_${"a".repeat(43)}`,
      `ntn_${"b".repeat(46)}`,
      "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:drox-slack-webhook-AbCdEf",
      "https://hooks.slack.com/",
    ].map((value, i) => ({ path: `v${i}`, value }));
    assert.deepEqual(findSecrets(strings, re), [
      { kind: "Slack webhook URL", path: "v0" },
      { kind: "Slack token", path: "v1" },
      { kind: "Notion integration token", path: "v2" },
      { kind: "Notion integration token", path: "v3" },
    ]);
  });

  describe("admitsTheWorld", () => {
    it("must see every address however the ranges are ordered, padded or mixed with other values", () => {
      const world: unknown[][] = [
        ["128.0.0.0/1", "0.0.0.0/1"],
        ["192.0.0.0/2", "128.0.0.0/2", "64.0.0.0/2", "0.0.0.0/2"],
        ["0.0.0.0/1", "0.0.0.0/2", "64.0.0.0/3", "128.0.0.0/1"],
        [" 0.0.0.0/0 "],
        [UNKNOWN_STRING, "not-a-cidr", 42, undefined, "0.0.0.0/0"],
        ["8000::/1", "10.0.0.0/8", "::/1"],
      ];
      for (const cidrs of world) assert.equal(admitsTheWorld(cidrs), true, JSON.stringify(cidrs));
    });

    it("must not see the world in part of it, in a gap, or in nothing parseable", () => {
      const notWorld: unknown[][] = [
        [],
        [UNKNOWN_STRING],
        ["0.0.0.0/1", "192.0.0.0/2"],
        ["0.0.0.0/1", "8000::/1"],
        ["128.0.0.0/1", "0.0.0.0/2"],
        ["255.255.255.255/32", "0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4"],
      ];
      for (const cidrs of notWorld) assert.equal(admitsTheWorld(cidrs), false, JSON.stringify(cidrs));
    });
  });

  describe("refersTo", () => {
    const from = (value: unknown, key = "bucket"): Fixture =>
      rawFixture("test:index:Ref", "from", { [key]: value });

    it("must follow a property to the resource whose id, ARN, name, bucket or function name it holds", async () => {
      const targets = [
        rawFixture("test:index:Target", "by-id", { id: "vol-0123" }),
        rawFixture("test:index:Target", "by-arn", { arn: `${ACCOUNT}:role/drox-task` }),
        rawFixture("test:index:Target", "by-name", { name: "drox-api" }),
        rawFixture("test:index:Target", "by-bucket", { bucket: "drox-backups-dev" }),
        rawFixture("test:index:Target", "by-function-name", { functionName: "slack-notifier" }),
      ];
      const values = [
        "vol-0123",
        `${ACCOUNT}:role/drox-task`,
        "drox-api",
        "drox-backups-dev",
        "slack-notifier",
      ];
      for (const [i, value] of values.entries()) {
        assert.deepEqual(
          await links("bucket", [from(value), ...targets]),
          [`from -> ${targets[i]!.name}`],
          value,
        );
      }
    });

    it("must follow an ARN to the resource the stack knows only by name, a path in the ARN or not", async () => {
      const fn = rawFixture("aws:lambda/function:Function", "notifier", { name: "slack-notifier" });
      const role = rawFixture("aws:iam/role:Role", "task-role", { name: "drox-task" });
      const other = rawFixture("aws:lambda/function:Function", "logger", { name: "notion-logger" });
      const lambdaArn = "arn:aws:lambda:ap-northeast-2:123456789012:function:slack-notifier";
      assert.deepEqual(await links("functionName", [from(lambdaArn, "functionName"), fn, other]), [
        "from -> notifier",
      ]);
      const roleArn = `${ACCOUNT}:role/service-role/drox-task`;
      assert.deepEqual(await links("role", [from(roleArn, "role"), role, other]), ["from -> task-role"]);
      const policy = rawFixture("aws:iam/policy:Policy", "backup-policy", { name: "drox-backup" });
      assert.equal(await names(`${ACCOUNT}:policy/drox/drox-backup`, policy), true);
      assert.equal(await names(`${ACCOUNT}:role/service-role/drox-task-old`, role), false);
    });

    it("must not take a value that only ends in the name, such as the function's log group, for the resource", async () => {
      const fn = rawFixture("aws:lambda/function:Function", "notifier", { name: "slack-notifier" });
      assert.deepEqual(await links("name", [from("/aws/lambda/slack-notifier", "name"), fn]), []);
      assert.equal(await names("logs:slack-notifier", fn), false);
    });

    it("must follow every value of a list property (a PolicyAttachment's roles)", async () => {
      const roles = ["drox-task", "drox-exec", "drox-scheduler"].map((name) =>
        rawFixture("aws:iam/role:Role", name, { name }),
      );
      const attachment = rawFixture("aws:iam/policyAttachment:PolicyAttachment", "attach", {
        roles: ["drox-exec", "drox-scheduler"],
      });
      assert.deepEqual(await links("roles", [attachment, ...roles]), [
        "attach -> drox-exec",
        "attach -> drox-scheduler",
      ]);
    });

    it("must not link through values unknown at preview, empty strings or values that are not strings", async () => {
      const unknown = rawFixture("test:index:Target", "unknown", { bucket: UNKNOWN_STRING });
      assert.deepEqual(await links("bucket", [from(UNKNOWN_STRING), unknown]), []);
      const unnamed = rawFixture("test:index:Target", "unnamed", { name: "", bucket: "" });
      assert.deepEqual(await links("bucket", [from(""), unnamed]), []);
      assert.deepEqual(await links("bucket", [from(`arn:aws:s3:::`), unnamed]), []);
      const numbered = rawFixture("test:index:Target", "numbered", { id: "42", name: "42" });
      assert.deepEqual(await links("bucket", [from(42), numbered]), []);
      assert.equal(await names(undefined, numbered), false);
    });

    it("must follow the dependency graph to the resource the value came from, whatever the value", async () => {
      const bucket = rawFixture("aws:s3/bucket:Bucket", "store", { bucket: UNKNOWN_STRING });
      const other = rawFixture("aws:s3/bucket:Bucket", "logs", { bucket: UNKNOWN_STRING });
      const viaGraph = {
        ...from(UNKNOWN_STRING),
        propertyDependencies: { bucket: [bucket.urn], tags: [other.urn] },
      };
      assert.deepEqual(await links("bucket", [viaGraph, bucket, other]), ["from -> store"]);
      assert.deepEqual(await links("tags", [viaGraph, bucket, other]), ["from -> logs"]);
      const viaBoth = { ...from(UNKNOWN_STRING), propertyDependencies: { bucket: [other.urn, bucket.urn] } };
      assert.deepEqual(await links("bucket", [viaBoth, bucket, other]), ["from -> store", "from -> logs"]);
    });
  });

  describe("values", () => {
    it("must tell records from null, lists and primitives", () => {
      assert.deepEqual(
        [{}, { a: 1 }, null, [], "x", 1, undefined].map((v) => isRecord(v)),
        [true, true, false, false, false, false, false],
      );
    });

    it("must collect no strings from numbers, booleans, null or undefined", () => {
      assert.deepEqual(collectStrings({ a: 1, b: true, c: null, d: [2, false] }), []);
      assert.deepEqual(collectStrings(undefined), []);
      assert.deepEqual(collectStrings(null), []);
    });

    it("must read config lists, numbers and booleans only when they have the right type", () => {
      assert.deepEqual(stringList(["a", 1, null, "b"], ["x"]), ["a", "b"]);
      assert.deepEqual(stringList("a", ["x"]), ["x"]);
      assert.deepEqual(
        [0, 7, "7", NaN, Infinity, undefined].map((v) => numberOr(v, 3)),
        [0, 7, 3, 3, 3, 3],
      );
      assert.deepEqual(
        [false, true, "true", undefined].map((v) => booleanOr(v, true)),
        [false, true, true, true],
      );
    });
  });

  describe("archiveTexts", () => {
    it("must return the text assets of an archive, nested ones with their path, and nothing of files", async () => {
      const archive = new pulumi.asset.AssetArchive({
        "__index.js": new pulumi.asset.StringAsset("exports.handler = 1;"),
        "lib.js": new pulumi.asset.FileAsset("./lib.js"),
        "node_modules/": new pulumi.asset.AssetArchive({ "x.js": new pulumi.asset.StringAsset("x") }),
        vendor: new pulumi.asset.FileArchive("./vendor"),
      });
      assert.deepEqual(await archiveTexts(archive, "code:"), [
        { path: "code:__index.js", value: "exports.handler = 1;" },
        { path: "code:node_modules/x.js", value: "x" },
      ]);
    });

    it("must return nothing for a file archive, a remote asset or a value that is no asset", async () => {
      for (const value of [
        new pulumi.asset.FileArchive("./dist"),
        new pulumi.asset.RemoteAsset("https://example.com/x.js"),
        "exports.handler = 1;",
        undefined,
      ]) {
        assert.deepEqual(await archiveTexts(value, "code:"), []);
      }
    });
  });
});
