#!/usr/bin/env node
/**
 * The `drox-backup` command right after `npm ci`, with no build step. In a checkout it runs the
 * TypeScript sources in runtime/, always as they are now: it bundles them with esbuild (a dev
 * dependency, already installed; the packages stay outside the bundle, as `require`s) into
 * node_modules/.cache/drox-backup/, named by a fingerprint of every source file's path, size and
 * modification time, and reuses that bundle while the sources are unchanged. An edit changes the
 * fingerprint, so the next start bundles again (well under a second, once). Why not tsx on
 * every start: transforming and resolving each file through its hooks costs more than the whole
 * bundle (docs/performance.md). Without esbuild it falls back to tsx; where there are no sources —
 * the container image ships only the compiled dist/ and production dependencies, and runs
 * `node dist/runtime/cli.js` itself — it runs the compiled CLI.
 *
 * DROX_BACKUP_TSX=1 runs the sources through tsx instead (source positions in stack traces).
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const sources = path.join(root, "runtime");
const source = path.join(sources, "cli.ts");
const compiled = path.join(root, "dist", "runtime", "cli.js");
/** Inputs of the bundle besides runtime/: the compiler options and the installed esbuild. */
const CONFIG_FILES = ["tsconfig.json", "package.json"];

/** Every file under runtime/ and the config, by path, size and modification time. */
function fingerprint(esbuildVersion) {
  const hash = crypto.createHash("sha256").update(`${esbuildVersion}\n${root}\n`);
  const walk = (dir) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(`${file}\0${stamp(file)}\n`);
    }
  };
  const stamp = (file) => {
    const s = fs.statSync(file, { bigint: true });
    return `${s.size}\0${s.mtimeNs}`;
  };
  walk(sources);
  for (const name of CONFIG_FILES) {
    const file = path.join(root, name);
    if (fs.existsSync(file)) hash.update(`${file}\0${stamp(file)}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

/** The bundle of the current sources, built if there is none yet; undefined without esbuild. */
function bundledSources() {
  let esbuildMain;
  try {
    esbuildMain = require.resolve("esbuild");
  } catch {
    return undefined;
  }
  // Its version from package.json: loading esbuild itself is left to a start that has to bundle.
  const version = JSON.parse(
    fs.readFileSync(path.join(esbuildMain, "..", "..", "package.json"), "utf8"),
  ).version;
  const dir = path.join(root, "node_modules", ".cache", "drox-backup");
  // One checkout's bundles share a prefix, so a new one replaces only this checkout's old ones.
  const prefix = `cli-${crypto.createHash("sha256").update(root).digest("hex").slice(0, 8)}-`;
  const bundle = path.join(dir, `${prefix}${fingerprint(version)}.cjs`);
  if (fs.existsSync(bundle)) return bundle;
  fs.mkdirSync(dir, { recursive: true });
  const temporary = `${bundle}.${process.pid}.tmp`;
  require(esbuildMain).buildSync({
    entryPoints: [source],
    outfile: temporary,
    bundle: true,
    platform: "node",
    format: "cjs",
    // The oldest Node that runs it: Node 20 on development machines, 22 in production (DEVELOPERS.md).
    target: "node20",
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    sourcemap: "linked",
    sourcesContent: false,
    logLevel: "silent",
  });
  // The map keeps the name the bundle was written under; point it at the final one.
  const text = fs
    .readFileSync(temporary, "utf8")
    .replace(/sourceMappingURL=.*$/m, `sourceMappingURL=${path.basename(bundle)}.map`);
  fs.writeFileSync(temporary, text);
  fs.renameSync(`${temporary}.map`, `${bundle}.map`);
  // Renamed into place: a start running at the same moment sees the whole bundle or none.
  fs.renameSync(temporary, bundle);
  for (const old of fs.readdirSync(dir))
    if (old.startsWith(prefix) && !old.startsWith(path.basename(bundle)))
      fs.rmSync(path.join(dir, old), { force: true });
  return bundle;
}

function entry() {
  if (!fs.existsSync(source)) return compiled;
  if (process.env.DROX_BACKUP_TSX !== "1") {
    try {
      const bundle = bundledSources();
      if (bundle) return bundle;
    } catch {
      // Whatever stops the bundle — a read-only or full node_modules, an error in the sources —
      // costs the speed, not the command: tsx runs the sources (and reports an error in them).
    }
  }
  try {
    require("tsx/cjs");
    return source;
  } catch {
    if (fs.existsSync(compiled)) return compiled;
    process.stderr.write(
      "drox-backup: run `npm ci` in the checkout first (tsx, a dev dependency, runs the sources)\n",
    );
    process.exit(2);
  }
}

require(entry())
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
