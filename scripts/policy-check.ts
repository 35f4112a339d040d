/**
 * Offline policy check: runs the program under mocks for a stack's config, serves the policy pack
 * the way the Pulumi CLI does and sends it every registered resource over gRPC (Analyze, then
 * AnalyzeStack). Prints the violations as `pulumi preview --policy-pack policy` lists them and exits
 * 1 on a mandatory one. No cloud account, no Pulumi CLI.
 *
 *   npm run policy:check -- --stack prod [--config policy/config.prod.json] [--json]
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { POLICY_PACK_DIR, PolicyAnalyzer, PolicyPackConfigFile } from "../test/support/policy-analyzer";
import { stackUnderPolicy } from "../test/support/policy-program";
import { formatPolicies, summary } from "../test/support/policy-report";
import { PROJECT } from "../test/support/pulumi-mocks";

interface Options {
  stack: string;
  config?: string;
  json?: boolean;
}

async function main(): Promise<number> {
  const program = new Command("policy:check")
    .description("Evaluate the CrossGuard pack in policy/ against the program under mocks (offline)")
    .option("-s, --stack <name>", "stack whose Pulumi.<stack>.yaml to evaluate", "dev")
    .option("-c, --config <file>", "policy pack config (default: policy/config.<stack>.json when present)")
    .option("--json", "print the diagnostics as JSON")
    .parse();
  const options = program.opts<Options>();
  const configFile = options.config ?? path.join(POLICY_PACK_DIR, `config.${options.stack}.json`);
  const packConfig: PolicyPackConfigFile =
    options.config !== undefined || existsSync(configFile)
      ? (JSON.parse(readFileSync(configFile, "utf8")) as PolicyPackConfigFile)
      : {};

  const started = performance.now();
  const stack = await stackUnderPolicy(options.stack);
  const analyzer = await PolicyAnalyzer.start({
    stack: options.stack,
    project: PROJECT,
    config: stack.config,
  });
  try {
    await analyzer.configure(packConfig);
    const pack = await analyzer.info();
    const diagnostics = await analyzer.analyzeAll(stack.resources);
    const counts = summary(diagnostics);
    if (options.json) {
      console.log(JSON.stringify({ stack: options.stack, ...counts, diagnostics }, null, 2));
    } else {
      const configLabel = existsSync(configFile) ? path.relative(process.cwd(), configFile) : "none";
      console.log(
        `Offline policy check (program under mocks, no cloud): stack ${options.stack}, ` +
          `${stack.resources.length} resources, policy config ${configLabel}\n`,
      );
      console.log(formatPolicies(pack, diagnostics));
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`\n${counts.mandatory} mandatory, ${counts.advisory} advisory violation(s) in ${seconds}s`);
    }
    return counts.mandatory > 0 ? 1 : 0;
  } catch (err) {
    const output = analyzer.errorOutput;
    throw output ? new Error(`${(err as Error).message}\npolicy pack output:\n${output}`) : err;
  } finally {
    await analyzer.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
