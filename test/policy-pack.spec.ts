/**
 * The whole pack, served by `new PolicyPack(...)` over gRPC and driven as the Pulumi CLI drives it,
 * against every resource the program registers under mocks for the dev and prod stack configs.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Diagnostic, POLICY_PACK_DIR, PolicyAnalyzer, PolicyPackConfigFile } from "./support/policy-analyzer";
import { asFirstPreview, StackUnderPolicy, stackUnderPolicy } from "./support/policy-program";
import { formatPolicies, resourceLabel } from "./support/policy-report";
import { PROJECT } from "./support/pulumi-mocks";

function packConfig(stack: string): PolicyPackConfigFile {
  return JSON.parse(
    readFileSync(path.join(POLICY_PACK_DIR, `config.${stack}.json`), "utf8"),
  ) as PolicyPackConfigFile;
}

/** `level policy (type: name)` lines, sorted, for exact comparisons. */
function list(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.enforcementLevel} ${d.policyName} (${resourceLabel(d.urn)})`).sort();
}

const mandatory = (ds: Diagnostic[]) => ds.filter((d) => d.enforcementLevel === "mandatory");
const advisory = (ds: Diagnostic[]) => ds.filter((d) => d.enforcementLevel === "advisory");

describe("policy pack drox-backup-guardrails (served over gRPC, program under mocks)", function () {
  this.timeout(180_000);

  const stacks: Record<string, StackUnderPolicy> = {};
  const analyzers: Record<string, PolicyAnalyzer> = {};

  before(async () => {
    for (const stack of ["dev", "prod"]) {
      stacks[stack] = await stackUnderPolicy(stack);
      analyzers[stack] = await PolicyAnalyzer.start({
        stack,
        project: PROJECT,
        config: stacks[stack]!.config,
      });
    }
  });

  after(async () => {
    await Promise.all(Object.values(analyzers).map((a) => a.close()));
  });

  it("must serve one policy per file of policy/, each named after its file, with its config schema", async () => {
    const info = await analyzers.dev!.info();
    const files = readdirSync(POLICY_PACK_DIR)
      .filter((f) => f.endsWith(".ts") && f !== "index.ts")
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    assert.equal(info.name, "drox-backup-guardrails");
    assert.equal(info.version, "0.1.0");
    assert.deepEqual(info.policies.map((p) => p.name).sort(), files);
    assert.ok(info.policies.every((p) => p.enforcementLevel === "mandatory"));
    const retention = info.policies.find((p) => p.name === "log-group-retention");
    assert.equal(retention?.configSchema?.properties.minimumRetentionDays?.default, 7);
  });

  for (const stack of ["dev", "prod"]) {
    it(`must find no mandatory violation in the ${stack} stack with policy/config.${stack}.json`, async () => {
      const analyzer = analyzers[stack]!;
      await analyzer.configure(packConfig(stack));
      const diagnostics = await analyzer.analyzeAll(stacks[stack]!.resources);
      const report = formatPolicies(await analyzer.info(), diagnostics);
      assert.deepEqual(list(mandatory(diagnostics)), [], report);
      // No policy gave up on a value unknown at preview.
      assert.deepEqual(
        diagnostics.filter((d) => d.message.includes("during preview")),
        [],
        report,
      );
    });
  }

  for (const stack of ["dev", "prod"]) {
    it(`must judge the ${stack} stack the same in a first preview, ids unknown, through the dependency graph`, async () => {
      const analyzer = analyzers[stack]!;
      await analyzer.configure(packConfig(stack));
      const known = await analyzer.analyzeAll(stacks[stack]!.resources);
      const firstPreview = asFirstPreview(stacks[stack]!.resources);
      assert.ok(firstPreview.some((r) => Object.keys(r.propertyDependencies ?? {}).length > 0));
      const diagnostics = await analyzer.analyzeAll(firstPreview);
      assert.deepEqual(list(diagnostics), list(known), formatPolicies(await analyzer.info(), diagnostics));
    });
  }

  it("must list exactly the dev stack's advisory violation: the plain-HTTP listener", async () => {
    await analyzers.dev!.configure(packConfig("dev"));
    const diagnostics = await analyzers.dev!.analyzeAll(stacks.dev!.resources);
    assert.deepEqual(list(advisory(diagnostics)), [
      "advisory alb-listener-https (aws:lb/listener:Listener: drox-backup-http)",
    ]);
    assert.match(advisory(diagnostics)[0]!.message, /serves plain HTTP/);
  });

  it("must list no advisory violation for prod, whose HTTP listener only redirects to HTTPS", async () => {
    await analyzers.prod!.configure(packConfig("prod"));
    assert.deepEqual(list(advisory(await analyzers.prod!.analyzeAll(stacks.prod!.resources))), []);
  });

  it("must make the same HTTP listener mandatory under the prod policy config", async () => {
    await analyzers.dev!.configure({ ...packConfig("dev"), "alb-listener-https": "mandatory" });
    const diagnostics = await analyzers.dev!.analyzeAll(stacks.dev!.resources);
    assert.deepEqual(list(diagnostics.filter((d) => d.policyName === "alb-listener-https")), [
      "mandatory alb-listener-https (aws:lb/listener:Listener: drox-backup-http)",
    ]);
  });

  it("must report the dev stack's public task IPs when the policy config does not allow them", async () => {
    await analyzers.dev!.configure({ "alb-listener-https": "advisory" });
    const diagnostics = await analyzers.dev!.analyzeAll(stacks.dev!.resources);
    assert.deepEqual(list(diagnostics.filter((d) => d.policyName === "ecs-service-network-restricted")), [
      "mandatory ecs-service-network-restricted (aws:ecs/service:Service: drox-backup-service)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-ebs)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-integrity-check)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-monthly-report)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-rds)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-s3)",
      "mandatory ecs-service-network-restricted (aws:scheduler/schedule:Schedule: drox-backup-weekly-report)",
    ]);
  });

  it("must see each Lambda's code through the wire (the closure's text asset) and no sentinel secret in plain text", async () => {
    const lambdas = stacks.prod!.resources.filter((r) => r.type === "aws:lambda/function:Function");
    assert.ok(lambdas.length >= 2);
    await analyzers.prod!.configure({
      "no-plaintext-secrets": { patterns: { "handler module": "exports\\.|require\\(" } },
    });
    const seen = (await analyzers.prod!.analyzeAll(lambdas)).filter(
      (d) => d.policyName === "no-plaintext-secrets",
    );
    assert.deepEqual(
      seen.map((d) => resourceLabel(d.urn)).sort(),
      lambdas.map((l) => resourceLabel(l.urn)).sort(),
    );
    assert.ok(seen.every((d) => /Lambda code `code:/.test(d.message)));

    await analyzers.prod!.configure(packConfig("prod"));
    const all = await analyzers.prod!.analyzeAll(stacks.prod!.resources);
    // The stack's secrets are set to values the default patterns recognise (SENTINEL_SECRETS).
    assert.deepEqual(
      all.filter((d) => d.policyName === "no-plaintext-secrets"),
      [],
    );
  });

  it("must reject a policy config naming an unknown policy or property, as the CLI does", async () => {
    await assert.rejects(
      analyzers.prod!.configure({ "no-such-policy": "advisory" }),
      /unknown policy "no-such-policy"/,
    );
    await assert.rejects(
      analyzers.prod!.configure({ "log-group-retention": { minimumRetentionDay: 7 } }),
      /log-group-retention: unknown property "minimumRetentionDay"/,
    );
  });
});

describe("policy pack started as the Pulumi CLI starts it (run-policy-pack, ts-node)", function () {
  this.timeout(120_000);

  it("must compile under the CLI's TypeScript settings and serve the same policies", async () => {
    const analyzer = await PolicyAnalyzer.start({ stack: "prod", project: PROJECT, launcher: "pulumi" });
    try {
      const info = await analyzer.info();
      assert.equal(info.policies.length, 15); // drill-deletes-scoped (issue 10) is the 15th
      await analyzer.configure(packConfig("prod"));
      const [diagnostic, ...rest] = await analyzer.analyze({
        type: "aws:sns/topic:Topic",
        name: "events",
        urn: "urn:pulumi:prod::drox-backup::aws:sns/topic:Topic::events",
        props: { tags: { project: "drox-backup", environment: "prod", owner: "devops" } },
      });
      assert.deepEqual(rest, []);
      assert.equal(diagnostic?.policyName, "sns-topic-encrypted");
      assert.equal(diagnostic?.enforcementLevel, "mandatory");
    } finally {
      await analyzer.close();
    }
  });
});
