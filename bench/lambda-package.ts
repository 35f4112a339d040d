/**
 * Inline Lambda package sizes and program evaluation time, offline (Pulumi mocks).
 *
 * For each CallbackFunction the program registers, sums the unpacked size of its code archive
 * (`__index.js` + every packed path) and compares it with CallbackFunction's default packing (every
 * production dependency). With the compiled runtime present (`npm run build`), it also unpacks the
 * package into a temporary directory and `require`s the handler module there, in a fresh Node with
 * no access to the project's node_modules: proof the package is complete.
 *
 * Usage: npm run bench:lambda [-- --runs 3]
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { lambdaArchive, ofType, ROOT, runProgram, stackConfig } from "../test/support/pulumi-mocks";

const PLACEHOLDER_SECRETS = {
  slackWebhookUrl: "https://hooks.slack.com/services/T00000000/B00000000/benchPlaceholder",
  notionToken: "secret_benchPlaceholder",
  apiToken: "benchPlaceholder",
};

function sizeOf(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, entry) => sum + sizeOf(path.join(p, entry)), 0);
}

function copyInto(target: string, relative: string): void {
  const source = path.join(ROOT, relative);
  const destination = path.join(target, relative);
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  fs.cpSync(source, destination, { recursive: true });
}

/**
 * A stand-in for the nodejs22.x runtime's own node_modules (/var/runtime/node_modules): the AWS SDK
 * v3 and its helpers, linked from the project, and nothing else.
 */
function lambdaRuntimeModules(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-runtime-"));
  for (const name of [
    "@aws-sdk",
    "@smithy",
    "@aws-crypto",
    "tslib",
    "fast-xml-parser",
    "strnum",
    "bowser",
    "uuid",
  ]) {
    const source = path.join(ROOT, "node_modules", name);
    if (fs.existsSync(source)) fs.symlinkSync(source, path.join(dir, name));
  }
  return dir;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
  process.chdir(ROOT);
  const built = fs.existsSync(path.join(ROOT, "dist/runtime/handlers.js"));
  console.log(
    `drox-backup inline Lambda packages (offline, mocks) — node ${process.version}, ${os.cpus().length} CPUs`,
  );
  console.log(
    `compiled runtime (dist/runtime): ${built ? "present" : "absent — run `npm run build` to include it"}\n`,
  );

  const times: Record<string, number[]> = { dev: [], prod: [] };
  let lastDev: Awaited<ReturnType<typeof runProgram>> | undefined;
  for (let i = 0; i < runs; i++) {
    for (const stack of ["dev", "prod"]) {
      const run = await runProgram({ stack, config: { ...stackConfig(stack), ...PLACEHOLDER_SECRETS } });
      times[stack]!.push(run.elapsedMs);
      if (stack === "dev") lastDev = run;
    }
  }

  const baselinePaths = await pulumi.runtime.computeCodePaths({ extraExcludePackages: ["aws-sdk"] });
  const baselineDeps = [...baselinePaths.keys()].reduce((sum, p) => sum + sizeOf(p), 0);

  const runtimeModules = lambdaRuntimeModules();
  console.log("function                 files   package      default      ratio");
  for (const fn of ofType(lastDev!, "aws:lambda/function:Function")) {
    const { index, paths } = await lambdaArchive(fn);
    const packed = paths.filter((p) => p !== "__index.js");
    const bytes = Buffer.byteLength(index) + packed.reduce((sum, p) => sum + sizeOf(path.join(ROOT, p)), 0);
    const baseline = Buffer.byteLength(index) + baselineDeps;
    console.log(
      `${fn.name.padEnd(24)} ${String(paths.length).padStart(5)}   ${mib(bytes).padStart(9)}   ${mib(baseline).padStart(10)}   ${(baseline / bytes).toFixed(1).padStart(5)}x`,
    );
    if (built) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${fn.name}-`));
      fs.writeFileSync(path.join(dir, "__index.js"), index);
      for (const p of packed) copyInto(dir, p);
      const out = execFileSync(
        process.execPath,
        [
          "-e",
          "const h=require('./dist/runtime/handlers.js');console.log(Object.keys(h).filter(k=>typeof h[k]==='function').join(','))",
        ],
        { cwd: dir, env: { PATH: process.env.PATH ?? "", NODE_PATH: runtimeModules }, encoding: "utf8" },
      );
      console.log(`${"".padEnd(24)} loads in isolation: exports ${out.trim()}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.rmSync(runtimeModules, { recursive: true, force: true });
  console.log(
    `\nprogram evaluation under mocks (median of ${runs}, first run includes module loading): dev ${median(times.dev!).toFixed(0)} ms, prod ${median(times.prod!).toFixed(0)} ms`,
  );
  console.log(
    `all runs (ms): dev ${times.dev!.map((t) => t.toFixed(0)).join(", ")}; prod ${times.prod!.map((t) => t.toFixed(0)).join(", ")}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
