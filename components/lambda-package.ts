/**
 * What goes into each inline Lambda's zip: the closure Pulumi serializes (`__index.js`) and one
 * file, the handler module bundled by esbuild from runtime/handlers.ts with everything it imports.
 *
 * Why a bundle: by default a CallbackFunction packs every production dependency of the project
 * (~59 MB here); packing only the packages the handlers reach, file by file, still came to 1.73 MiB
 * and needed `npm run build` before `pulumi up`. esbuild keeps only the modules (and, in ES
 * modules, the exports) the handlers reach, in one file, rebuilt from the TypeScript sources each
 * time the program runs (about a second): `pulumi up` needs no build step and can never deploy an
 * outdated one. The AWS SDK v3 stays out: the nodejs22.x runtime provides it.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (runtime-included SDK)
 *
 * Both handlers share one module (runtime/handlers.ts builds the Slack and Notion clients in one
 * factory), so a bundle per handler would be the same bytes twice: measured 1,143,511 vs 1,143,506
 * bytes before minification. Local identifiers are minified (bot mode's @slack/web-api took the
 * bundle past 1 MB: 1,024,016 bytes without, 766,639 with), but function and class names are kept
 * (`keepNames`): error classes name themselves from `new.target.name`, and stack traces in
 * CloudWatch still name every function.
 *
 * Secrets never enter the bundle or the closure: the handler reads them by ARN at cold start.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { buildSync, type Metafile } from "esbuild";

/** Where the bundle is written, relative to the project (a build output, git-ignored). */
export const BUNDLE_PATH = "dist/lambda/handlers.js";

/** The bundled handler module, relative to the zip's root (where Pulumi puts `__index.js`). */
export const HANDLER_MODULE = `./${BUNDLE_PATH}`;

/** The handlers' source entry point, relative to the project. */
export const HANDLER_SOURCE = "runtime/handlers.ts";

/** Unpacked size a Lambda package must stay within (issue 12): 1 MB. */
export const PACKAGE_LIMIT_BYTES = 1_000_000;

/** Provided by the nodejs22.x runtime: never bundled. */
export const EXTERNAL = ["@aws-sdk/*", "@smithy/*"] as const;

export interface LambdaPackageOptions {
  /** Project root (holds package.json, node_modules and the sources). @default process.cwd() */
  readonly projectDir?: string;
  /** Bundle location, relative to the project. @default BUNDLE_PATH */
  readonly bundlePath?: string;
}

export interface LambdaPackage {
  /** Pass a fresh copy to each CallbackFunction (it appends to extraExcludePackages). */
  readonly codePathOptions: pulumi.runtime.CodePathOptions;
  /** The bundle, relative to the project. */
  readonly bundlePath: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** npm packages inside the bundle, by name. */
  readonly bundledPackages: readonly string[];
}

/** `…/node_modules/@scope/name/…` or `…/node_modules/name/…` → the package name. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const parts = input.slice(at + "node_modules/".length).split("/");
  return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Bundles runtime/handlers.ts into `outfile` (absolute); returns esbuild's metafile. */
export function bundleHandlers(projectDir: string, outfile: string): Metafile {
  const result = buildSync({
    absWorkingDir: projectDir,
    entryPoints: [path.join(projectDir, HANDLER_SOURCE)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    external: [...EXTERNAL],
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    keepNames: true,
    legalComments: "none",
    metafile: true,
    logLevel: "silent",
  });
  return result.metafile;
}

const built = new Map<string, LambdaPackage>();

/**
 * Bundles the handlers (once per process and location) and returns code path options that pack
 * exactly that file and no package wholesale.
 */
export function lambdaPackage(options: LambdaPackageOptions = {}): LambdaPackage {
  const projectDir = options.projectDir ?? process.cwd();
  const bundlePath = options.bundlePath ?? BUNDLE_PATH;
  const outfile = path.join(projectDir, bundlePath);
  const cached = built.get(outfile);
  if (cached) return cached;

  const metafile = bundleHandlers(projectDir, outfile);
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const packages = new Set(Object.keys(metafile.inputs).flatMap((input) => packageOf(input) ?? []));
  // Pulumi names archive entries by these paths: they must be relative to the program's directory.
  const relative = path.relative(process.cwd(), outfile).split(path.sep).join("/");
  const pkg: LambdaPackage = {
    codePathOptions: {
      extraIncludePaths: [relative],
      extraExcludePackages: Object.keys(manifest.dependencies ?? {}),
      extraIncludePackages: [],
    },
    bundlePath,
    bytes: fs.statSync(outfile).size,
    bundledPackages: [...packages].sort(),
  };
  built.set(outfile, pkg);
  return pkg;
}
