#!/usr/bin/env node
/**
 * The `drox-backup` command right after `npm ci`, with no build step: in a checkout it runs the
 * TypeScript sources through tsx (a dev dependency, already installed), so what runs is always what
 * is in runtime/. Where there are no sources — the container image ships only the compiled dist/ and
 * production dependencies, and runs `node dist/runtime/cli.js` itself — it runs the compiled CLI.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const source = path.join(root, "runtime", "cli.ts");
let entry = path.join(root, "dist", "runtime", "cli.js");
if (fs.existsSync(source)) {
  try {
    require("tsx/cjs");
    entry = source;
  } catch {
    if (!fs.existsSync(entry)) {
      process.stderr.write(
        "drox-backup: run `npm ci` in the checkout first (tsx, a dev dependency, runs the sources)\n",
      );
      process.exit(2);
    }
  }
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
