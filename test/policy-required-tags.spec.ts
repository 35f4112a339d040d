import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { requiredTags } from "../policy/required-tags";
import { change, fixture, rawFixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const TAGS = { project: "drox-backup", environment: "prod", owner: "devops" };
const topic = fixture(aws.sns.Topic, "events", { kmsMasterKeyId: "alias/aws/sns", tags: TAGS });
const provider = (defaultTags: unknown) => ({
  type: "pulumi:providers:aws",
  name: "default",
  urn: "urn:pulumi:prod::drox-backup::pulumi:providers:aws::default",
  props: { region: "ap-northeast-2", defaultTags },
});

describe("policy required-tags", () => {
  it("must pass a taggable resource carrying project, environment and owner", async () => {
    assert.deepEqual((await runResourcePolicy(requiredTags, topic)).violations, []);
  });

  it("must report each missing or empty tag, as mandatory", async () => {
    const partial = change(topic, (p) => {
      p.tags = { project: "drox-backup", environment: "" };
    });
    const outcome = await runResourcePolicy(requiredTags, partial);
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.match(outcome.violations[0]!.message, /^Missing tags environment, owner\./);
  });

  it("must report a taggable type given no tags at all (the generated list, e.g. SecurityGroupIngressRule)", async () => {
    const rule = fixture(aws.vpc.SecurityGroupIngressRule, "alb-in-443", {
      securityGroupId: "sg-alb",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    assert.match(
      (await runResourcePolicy(requiredTags, rule)).violations[0]!.message,
      /^Missing tags project, environment, owner/,
    );
  });

  it("must count the provider's default tags, given as an object or as stack-config JSON", async () => {
    const bare = fixture(aws.sqs.Queue, "dlq", { sqsManagedSseEnabled: true });
    for (const defaultTags of [{ tags: TAGS }, JSON.stringify({ tags: TAGS })]) {
      const withProvider = { ...bare, provider: provider(defaultTags) };
      assert.deepEqual((await runResourcePolicy(requiredTags, withProvider)).violations, []);
    }
  });

  it("must not check resources that take no tags", async () => {
    const versioning = fixture(aws.s3.BucketVersioning, "v", {
      bucket: "b",
      versioningConfiguration: { status: "Enabled" },
    });
    const schedule = rawFixture("aws:scheduler/schedule:Schedule", "ebs", {
      scheduleExpression: "rate(1 day)",
    });
    const component = rawFixture("drox-backup:store:Store", "store", {});
    for (const r of [versioning, schedule, component]) {
      assert.deepEqual((await runResourcePolicy(requiredTags, r)).violations, [], r.type);
    }
  });

  it("must follow requiredTags and exemptTypes from config", async () => {
    const outcome = await runResourcePolicy(requiredTags, topic, {
      requiredTags: ["project", "cost-center"],
    });
    assert.match(outcome.violations[0]!.message, /^Missing tag cost-center\./);
    const exempt = await runResourcePolicy(
      requiredTags,
      change(topic, (p) => delete p.tags),
      {
        exemptTypes: ["aws:sns/topic:Topic"],
      },
    );
    assert.deepEqual(exempt.violations, []);
  });

  it("must leave tags unknown at preview to the update", async () => {
    const outcome = await runResourcePolicy(
      requiredTags,
      change(topic, (p) => (p.tags = UNKNOWN_STRING)),
    );
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must name the one missing tag, and tell where to set the tags once for the stack", async () => {
    const noOwner = change(topic, (p) => {
      p.tags = { project: "drox-backup", environment: "prod" };
    });
    assert.deepEqual(
      (await runResourcePolicy(requiredTags, noOwner)).violations.map((v) => v.message),
      [
        "Missing tag owner. Set them once for the stack with the provider's default tags (`pulumi config set " +
          "--path aws:defaultTags.tags.owner <team>`, or defaultTags on an explicit aws.Provider), or in this " +
          "resource's tags.",
      ],
    );
  });

  it("must check an AWS type given tags even when the generated list lacks it, and no other provider's", async () => {
    const newer = rawFixture("aws:newservice/widget:Widget", "widget", { tags: { project: "drox-backup" } });
    assert.deepEqual(
      (await runResourcePolicy(requiredTags, newer)).violations.map((v) => v.message.split(".")[0]),
      ["Missing tags environment, owner"],
    );
    const untagged = rawFixture("aws:newservice/widget:Widget", "widget", {});
    assert.deepEqual((await runResourcePolicy(requiredTags, untagged)).violations, []);
    const random = rawFixture("random:index/randomPet:RandomPet", "pet", { tags: {} });
    assert.deepEqual((await runResourcePolicy(requiredTags, random)).violations, []);
  });

  it("must read provider default tags that are not JSON as none", async () => {
    const bare = fixture(aws.sqs.Queue, "dlq", { sqsManagedSseEnabled: true });
    const outcome = await runResourcePolicy(requiredTags, { ...bare, provider: provider("{tags: owner}") });
    assert.equal(outcome.violations.length, 1);
  });
});
