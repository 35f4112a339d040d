/**
 * A Lambda package run the way the nodejs22.x runtime runs it, in a fresh Node process: the
 * package's files in a directory of their own, and on NODE_PATH only what the runtime itself
 * provides (/var/runtime/node_modules: the AWS SDK v3 and its helpers), linked from the project.
 * Nothing else of the project's node_modules is reachable, so a missing file fails here.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { SNSEvent } from "aws-lambda";
import { ROOT } from "./pulumi-mocks";

const run = promisify(execFile);

/** What /var/runtime/node_modules offers a nodejs22.x function. */
const RUNTIME_PACKAGES = [
  "@aws-sdk",
  "@smithy",
  "@aws-crypto",
  "tslib",
  "fast-xml-parser",
  "strnum",
  "bowser",
  "uuid",
];

export function lambdaRuntimeModules(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-runtime-"));
  for (const name of RUNTIME_PACKAGES) {
    const source = path.join(ROOT, "node_modules", name);
    if (fs.existsSync(source)) fs.symlinkSync(source, path.join(dir, name));
  }
  return dir;
}

/** Writes a package (archive path → contents or project file) into a fresh directory. */
export function unpack(files: Readonly<Record<string, string | { readonly copyOf: string }>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-package-"));
  for (const [entry, content] of Object.entries(files)) {
    const target = path.join(dir, entry);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === "string") fs.writeFileSync(target, content);
    else fs.cpSync(content.copyOf, target, { recursive: true });
  }
  return dir;
}

export interface ColdStart {
  /** Milliseconds to `require` the module. */
  readonly loadMs: number;
  /** Milliseconds from there to the first event handled. */
  readonly firstEventMs: number;
}

/** Prefixes the timing line; the handler's own log lines share stdout. */
const MARK = "cold-start:";

const CHILD = `
const MARK = ${JSON.stringify(MARK)};
const { performance } = require("node:perf_hooks");
const [modulePath, exportName] = process.argv.slice(1);
const t0 = performance.now();
const loaded = require(modulePath);
const t1 = performance.now();
Promise.resolve(loaded[exportName](JSON.parse(process.env.LAMBDA_EVENT))).then(
  () => process.stdout.write("\\n" + MARK + JSON.stringify({ loadMs: t1 - t0, firstEventMs: performance.now() - t1 }) + "\\n"),
  (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
);`;

/**
 * In a fresh Node whose working directory is the package: requires `modulePath` (relative to the
 * package) and calls its export `exportName` with `event`, with `env` as the whole environment.
 */
export async function coldStart(
  dir: string,
  modulePath: string,
  exportName: string,
  event: SNSEvent,
  env: Readonly<Record<string, string>>,
  runtimeModules: string,
): Promise<ColdStart> {
  const { stdout } = await run(process.execPath, ["-e", CHILD, path.join(dir, modulePath), exportName], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_PATH: runtimeModules,
      LAMBDA_EVENT: JSON.stringify(event),
      ...env,
    },
    encoding: "utf8",
  });
  const line = stdout.split("\n").find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`no timing from the package in ${dir}: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice(MARK.length)) as ColdStart;
}
