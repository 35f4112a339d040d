import assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  handlerRuntimeFiles,
  checkRuntimeBuild,
  HANDLER_PACKAGES,
  isLoadableFile,
  lambdaPackage,
  staleRuntimeSources,
} from "../components/lambda-package";
import { ROOT } from "./support/pulumi-mocks";

const LIMIT_BYTES = 2 * 1024 * 1024;

function sizeOf(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, entry) => sum + sizeOf(path.join(p, entry)), 0);
}

/** Bare module specifiers reachable at run time from a runtime file (type-only imports excluded). */
function runtimeImports(entry: string, seen = new Set<string>()): Set<string> {
  const bare = new Set<string>();
  if (seen.has(entry)) return bare;
  seen.add(entry);
  const source = fs.readFileSync(entry, "utf8");
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|(?:import|require)\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith(".")) {
      const base = path.resolve(path.dirname(entry), specifier);
      const file = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
      if (file) for (const name of runtimeImports(file, seen)) bare.add(name);
    } else {
      const name = specifier.startsWith("@")
        ? specifier.split("/").slice(0, 2).join("/")
        : specifier.split("/")[0]!;
      if (!builtinModules.includes(name.replace(/^node:/, ""))) bare.add(name);
    }
  }
  return bare;
}

describe("infra: inline Lambda packages", () => {
  const cwd = process.cwd();
  before(() => process.chdir(ROOT));
  after(() => process.chdir(cwd));

  it("must pack at most 2 MB of dependencies per Lambda, against ~59 MB by default", async () => {
    const pkg = lambdaPackage({ runtimeDir: "dist/does-not-exist" });
    const paths = await pulumi.runtime.computeCodePaths({
      ...pkg.codePathOptions,
      extraExcludePackages: [...(pkg.codePathOptions.extraExcludePackages ?? [])],
    });
    const total = [...paths.keys()].reduce((sum, p) => sum + sizeOf(p), 0);
    assert.ok(total <= LIMIT_BYTES, `${(total / 1048576).toFixed(2)} MiB > 2 MiB`);
    assert.ok(total > 200 * 1024, "the handlers' packages are missing");
    const baseline = await pulumi.runtime.computeCodePaths({});
    const baselineTotal = [...baseline.keys()].reduce((sum, p) => sum + sizeOf(p), 0);
    assert.ok(baselineTotal > 10 * total, `default ${baselineTotal} is not ≫ ${total}`);
  });

  it("must pack every package the handlers import and none the Lambda runtime provides", () => {
    const imports = runtimeImports(path.join(ROOT, "runtime", "handlers.ts"));
    const provided = [...imports].filter((name) => /^@aws-sdk\//.test(name) || name === "aws-lambda");
    const needed = [...imports].filter((name) => !provided.includes(name)).sort();
    assert.deepEqual(
      needed,
      [...HANDLER_PACKAGES].sort(),
      "update HANDLER_PACKAGES when the handlers' imports change",
    );
    const packed = lambdaPackage({ runtimeDir: "dist/does-not-exist" }).packedPackages;
    for (const name of HANDLER_PACKAGES) assert.ok(packed.includes(name), name);
    assert.ok(
      packed.every((name) => !/^(@aws-sdk|@smithy|@types|@pulumi)\//.test(name)),
      packed.join(", "),
    );
  });

  it("must keep only the files require() loads", () => {
    const siblings = new Set(["index.js", "index.cjs", "index.d.ts", "util.mjs", "util.js", "a.mjs"]);
    assert.equal(isLoadableFile("index.cjs", siblings), true);
    assert.equal(isLoadableFile("index.js", siblings), false, "the ESM twin of a .cjs file");
    assert.equal(isLoadableFile("util.mjs", siblings), false, "the ESM twin of a .js file");
    assert.equal(isLoadableFile("a.mjs", siblings), true);
    assert.equal(isLoadableFile("index.d.ts", siblings), false);
    assert.equal(isLoadableFile("index.js.map", siblings), false);
    assert.equal(isLoadableFile("package.json", siblings), true);
    assert.equal(isLoadableFile("README.md", siblings), false);
  });
});

describe("infra: the compiled runtime the Lambdas deploy", () => {
  let project: string;
  const write = (rel: string, mtimeSeconds: number) => {
    const file = path.join(project, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "// compiled or source\n");
    fs.utimesSync(file, mtimeSeconds, mtimeSeconds);
  };
  const BUILD = 2_000_000_000;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "drox-build-"));
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "p", dependencies: {} }));
    write("runtime/handlers.ts", BUILD - 60);
    write("runtime/slack/messages.ts", BUILD - 60);
    write("runtime/types.d.ts", BUILD + 60);
    write("dist/runtime/handlers.js", BUILD);
    write("dist/runtime/slack/messages.js", BUILD);
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  it("must pack only the compiled files the handler module reaches, not the jobs or the service", () => {
    const js = (rel: string, body: string) => {
      fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
      fs.writeFileSync(path.join(project, rel), body);
    };
    js(
      "dist/runtime/handlers.js",
      'require("./events");\nrequire("./slack");\nrequire("@notionhq/client");\n',
    );
    js("dist/runtime/events.js", 'const z = require("zod");\n');
    js("dist/runtime/slack/index.js", 'require("./messages");\nrequire("../events");\n');
    js("dist/runtime/jobs/index.js", 'require("../events");\n');
    js("dist/runtime/server/app.js", "");
    const rel = (file: string) => path.relative(project, file).split(path.sep).join("/");
    assert.deepEqual(handlerRuntimeFiles(project, "dist/runtime").map(rel), [
      "dist/runtime/events.js",
      "dist/runtime/handlers.js",
      "dist/runtime/slack/index.js",
      "dist/runtime/slack/messages.js",
    ]);
    js("dist/runtime/slack/index.js", 'require("./gone");\n');
    assert.throws(
      () => handlerRuntimeFiles(project, "dist/runtime"),
      /requires \.\/gone, which is not built/,
    );
  });

  it("must find no stale source right after a build", () => {
    assert.deepEqual(staleRuntimeSources(project, "runtime", "dist/runtime"), []);
    const pkg = lambdaPackage({ projectDir: project, packages: [] });
    assert.equal(pkg.runtimeBuilt, true);
    assert.deepEqual(pkg.staleSources, []);
  });

  it("must report sources edited after the build and sources never compiled", () => {
    write("runtime/slack/messages.ts", BUILD + 1);
    write("runtime/jobs/new-job.ts", BUILD - 600);
    assert.deepEqual(lambdaPackage({ projectDir: project, packages: [] }).staleSources, [
      "runtime/jobs/new-job.ts",
      "runtime/slack/messages.ts",
    ]);
  });

  it("must stop `pulumi up` on a stale build with the command to run, and only warn in a preview", () => {
    const stale = {
      runtimeBuilt: true,
      runtimeDir: "dist/runtime",
      staleSources: ["runtime/a.ts", "runtime/b.ts", "runtime/c.ts", "runtime/d.ts", "runtime/e.ts"],
    };
    const expected =
      "dist/runtime is older than its sources (runtime/a.ts, runtime/b.ts, runtime/c.ts, and 2 more changed " +
      "since the last build): run `npm run build` before `pulumi up`, or the Lambdas deploy the previous build";
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    assert.throws(
      () => checkRuntimeBuild(stale, { dryRun: false, warn }),
      (error: Error) => error.message === expected,
    );
    assert.deepEqual(warnings, []);
    checkRuntimeBuild(stale, { dryRun: true, warn });
    assert.deepEqual(warnings, [`${expected}. This preview packs the Lambdas as they are.`]);
  });

  it("must stop `pulumi up` when the runtime was never built", () => {
    fs.rmSync(path.join(project, "dist"), { recursive: true });
    const pkg = lambdaPackage({ projectDir: project, packages: [] });
    assert.equal(pkg.runtimeBuilt, false);
    const warnings: string[] = [];
    assert.throws(
      () => checkRuntimeBuild(pkg, { dryRun: false, warn: (m) => warnings.push(m) }),
      (error: Error) =>
        error.message ===
        "dist/runtime/handlers.js is missing: run `npm run build` before `pulumi up` (the Lambdas load the compiled runtime)",
    );
    checkRuntimeBuild(pkg, { dryRun: true, warn: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^dist\/runtime\/handlers\.js is missing: run `npm run build` before `pulumi up`/,
    );
  });

  it("must let a fresh build through silently, preview or up", () => {
    const warnings: string[] = [];
    const pkg = lambdaPackage({ projectDir: project, packages: [] });
    checkRuntimeBuild(pkg, { dryRun: false, warn: (m) => warnings.push(m) });
    checkRuntimeBuild(pkg, { dryRun: true, warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, []);
  });
});
