/**
 * What goes into each inline Lambda's zip. By default a CallbackFunction packs every production
 * dependency of the project (the ECS jobs' AWS SDK clients, fastify, Pulumi itself…): ~59 MB here.
 * The handlers need a handful of packages, and of those only the files `require` can load: the
 * CommonJS twin of a dual package (zod ships ESM, CJS, TypeScript sources and typings), no typings,
 * source maps, docs or tests. The AWS SDK v3 is already in the nodejs22.x runtime.
 *
 * The handlers themselves are the compiled runtime (`npm run build` → dist/runtime), loaded by the
 * Lambda at cold start from inside the zip: Pulumi's closure serializer cannot capture zod schemas
 * by value, and a secret must never be captured anyway.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/** Packages runtime/handlers.ts reaches (Slack, Notion, the event schema, the logger, p-limit). */
export const HANDLER_PACKAGES = ["@slack/webhook", "@notionhq/client", "zod", "pino", "p-limit"] as const;

/** The compiled handler module, relative to the zip's root (where Pulumi puts `__index.js`). */
export const HANDLER_MODULE = "./dist/runtime/handlers.js";

/** Provided by the Lambda runtime, or types only: never packed. */
const NOT_PACKED = /^(@aws-sdk\/|@smithy\/|@aws-crypto\/|@types\/|undici-types$|aws-sdk$)/;
const SKIPPED_DIRS = new Set([
  "node_modules",
  "test",
  "tests",
  "__tests__",
  "docs",
  "doc",
  "benchmarks",
  "benchmark",
  "bench",
  "example",
  "examples",
  ".github",
]);
const LOADABLE = new Set([".js", ".cjs", ".mjs", ".json", ".node"]);

export interface LambdaPackageOptions {
  /** Project root (holds package.json and node_modules). @default process.cwd() */
  readonly projectDir?: string;
  /** Compiled runtime directory, relative to the project. @default "dist/runtime" */
  readonly runtimeDir?: string;
  /** Runtime sources compiled into runtimeDir, relative to the project. @default "runtime" */
  readonly sourceDir?: string;
  /** Packages the handlers require. @default HANDLER_PACKAGES */
  readonly packages?: readonly string[];
}

export interface LambdaPackage {
  /** Pass a fresh copy to each CallbackFunction (it appends to extraExcludePackages). */
  readonly codePathOptions: pulumi.runtime.CodePathOptions;
  /** Packages packed (the closure of `packages`, minus what the runtime provides). */
  readonly packedPackages: readonly string[];
  /** Whether the compiled runtime exists (false before `npm run build`). */
  readonly runtimeBuilt: boolean;
  /** Sources edited since the last build (their .js is missing or older), relative to the project. */
  readonly staleSources: readonly string[];
  readonly runtimeDir: string;
}

/** Every compiled TypeScript file under `dir` (not declarations), relative to `dir`. */
function typeScriptSources(dir: string, at = ""): string[] {
  if (!fs.existsSync(path.join(dir, at))) return [];
  return fs.readdirSync(path.join(dir, at), { withFileTypes: true }).flatMap((entry) => {
    const rel = at === "" ? entry.name : path.join(at, entry.name);
    if (entry.isDirectory()) return typeScriptSources(dir, rel);
    return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [rel] : [];
  });
}

/**
 * Sources newer than their compiled file, or never compiled: `tsc` rewrites every output on each
 * build, so a source modified after its .js means the build predates the edit.
 */
export function staleRuntimeSources(projectDir: string, sourceDir: string, runtimeDir: string): string[] {
  const sources = path.join(projectDir, sourceDir);
  return typeScriptSources(sources)
    .filter((rel) => {
      const compiled = path.join(projectDir, runtimeDir, rel.replace(/\.ts$/, ".js"));
      if (!fs.existsSync(compiled)) return true;
      return fs.statSync(path.join(sources, rel)).mtimeMs > fs.statSync(compiled).mtimeMs;
    })
    .map((rel) => path.join(sourceDir, rel).split(path.sep).join("/"))
    .sort();
}

export const BUILD_COMMAND = "npm run build";

/**
 * Stops `pulumi up` when the Lambdas would deploy no compiled runtime or an outdated one, naming
 * the command that fixes it; a preview only warns (it deploys nothing).
 */
export function checkRuntimeBuild(
  pkg: Pick<LambdaPackage, "runtimeBuilt" | "staleSources" | "runtimeDir">,
  options: { readonly dryRun: boolean; readonly warn: (message: string) => void },
): void {
  let problem: string | undefined;
  if (!pkg.runtimeBuilt) {
    problem = `${pkg.runtimeDir}/handlers.js is missing: run \`${BUILD_COMMAND}\` before \`pulumi up\` (the Lambdas load the compiled runtime)`;
  } else if (pkg.staleSources.length > 0) {
    const shown = pkg.staleSources.slice(0, 3).join(", ");
    const more = pkg.staleSources.length > 3 ? `, and ${pkg.staleSources.length - 3} more` : "";
    problem =
      `${pkg.runtimeDir} is older than its sources (${shown}${more} changed since the last build): ` +
      `run \`${BUILD_COMMAND}\` before \`pulumi up\`, or the Lambdas deploy the previous build`;
  }
  if (problem === undefined) return;
  if (!options.dryRun) throw new Error(problem);
  options.warn(`${problem}. This preview packs the Lambdas as they are.`);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Node's lookup: `node_modules/<name>` in `fromDir` or any parent, up to the project root. */
function resolvePackageDir(name: string, fromDir: string, rootDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.resolve(dir) === path.resolve(rootDir)) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Files `require` can load: the CommonJS build, package.json files, native addons. */
export function isLoadableFile(file: string, siblings: ReadonlySet<string>): boolean {
  const base = path.basename(file);
  if (base === "package.json") return true;
  const ext = path.extname(base);
  if (!LOADABLE.has(ext) || base.endsWith(".map") || base === "tsconfig.json") return false;
  const stem = base.slice(0, -ext.length);
  // Dual packages: `require` loads the .cjs twin, never the ESM one next to it.
  if (ext === ".js" && siblings.has(`${stem}.cjs`)) return false;
  if (ext === ".mjs" && (siblings.has(`${stem}.cjs`) || siblings.has(`${stem}.js`))) return false;
  return true;
}

function loadableFiles(dir: string, out: string[]): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) loadableFiles(full, out);
    } else if (entry.isFile() && isLoadableFile(entry.name, names)) {
      out.push(full);
    }
  }
}

const RELATIVE_REQUIRE = /\brequire\("(\.{1,2}\/[^"]+)"\)/g;

/**
 * The compiled runtime files the handler module loads: itself and every file it reaches through
 * relative `require`s (tsc's CommonJS output), and nothing else of the runtime — the jobs, the
 * HTTP service and the CLI stay out of the Lambdas.
 */
export function handlerRuntimeFiles(projectDir: string, runtimeDir: string): string[] {
  const seen = new Set<string>();
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.resolve(path.dirname(from), spec);
    for (const candidate of [base, `${base}.js`, path.join(base, "index.js")]) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
    }
    return undefined;
  };
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of fs.readFileSync(file, "utf8").matchAll(RELATIVE_REQUIRE)) {
      const target = resolve(file, match[1] ?? "");
      if (!target) throw new Error(`Lambda package: ${file} requires ${match[1]}, which is not built`);
      visit(target);
    }
  };
  visit(path.join(projectDir, runtimeDir, "handlers.js"));
  return [...seen].sort();
}

/**
 * Code path options packing exactly the handlers' runtime: the compiled files the handler module
 * reaches plus the loadable files of `packages` and their dependencies, and no package wholesale.
 */
export function lambdaPackage(options: LambdaPackageOptions = {}): LambdaPackage {
  const projectDir = options.projectDir ?? process.cwd();
  const runtimeDir = options.runtimeDir ?? "dist/runtime";
  const sourceDir = options.sourceDir ?? "runtime";
  const manifest = readJson(path.join(projectDir, "package.json"));
  const dependencies = Object.keys((manifest.dependencies as Record<string, string> | undefined) ?? {});

  // Package directory → package name (a name can be installed twice, at different versions).
  const packed = new Map<string, string>();
  const visit = (name: string, fromDir: string, optional: boolean): void => {
    if (NOT_PACKED.test(name)) return;
    const dir = resolvePackageDir(name, fromDir, projectDir);
    if (!dir) {
      if (optional) return;
      throw new Error(`Lambda package: cannot find the dependency ${name} from ${fromDir}; run npm ci`);
    }
    if (packed.has(dir)) return;
    packed.set(dir, name);
    const pkg = readJson(path.join(dir, "package.json"));
    for (const dep of Object.keys((pkg.dependencies as Record<string, string> | undefined) ?? {})) {
      visit(dep, dir, false);
    }
    for (const dep of Object.keys((pkg.optionalDependencies as Record<string, string> | undefined) ?? {})) {
      visit(dep, dir, true);
    }
  };
  for (const name of options.packages ?? HANDLER_PACKAGES) visit(name, projectDir, false);

  const files: string[] = [];
  for (const dir of packed.keys()) loadableFiles(dir, files);
  const runtimeBuilt = fs.existsSync(path.join(projectDir, runtimeDir, "handlers.js"));
  // Pulumi names archive entries by these paths: they must be relative to the program's directory.
  const relative = (file: string) => path.relative(process.cwd(), file).split(path.sep).join("/");
  const extraIncludePaths = files.map(relative).sort();
  if (runtimeBuilt) extraIncludePaths.unshift(...handlerRuntimeFiles(projectDir, runtimeDir).map(relative));

  return {
    codePathOptions: { extraIncludePaths, extraExcludePackages: dependencies, extraIncludePackages: [] },
    packedPackages: [...new Set(packed.values())].sort(),
    runtimeBuilt,
    staleSources: runtimeBuilt ? staleRuntimeSources(projectDir, sourceDir, runtimeDir) : [],
    runtimeDir,
  };
}
