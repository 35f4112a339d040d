import { strict as assert } from "node:assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import { collectStrings, isUnknownValue, unproxy } from "../policy/lib/values";
import { admitsTheWorld } from "../policy/lib/cidr";
import { compilePatterns, DEFAULT_SECRET_PATTERNS, findSecrets } from "../policy/lib/secret-patterns";
import { UNKNOWN_STRING } from "./support/policy-harness";

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
});
