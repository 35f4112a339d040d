// Loaded into Stryker's processes only (stryker.config.mjs): @stryker-mutator/mocha-runner 10.1.1
// requires mocha's cli internals without an extension (`mocha/lib/cli/run-helpers`), and mocha 12
// renamed them to `.cjs`, so the plugin fails to load ("Cannot find TestRunner plugin mocha").
// Letting require() probe `.cjs` like `.js` makes those paths resolve; nothing else changes, since
// no other code requires an extensionless path that only exists as `.cjs`.
// Remove once https://github.com/stryker-mutator/stryker-js/pull/6205 is released.
"use strict";
const Module = require("node:module");

if (!Object.prototype.hasOwnProperty.call(Module._extensions, ".cjs")) {
  Module._extensions[".cjs"] = Module._extensions[".js"];
}
