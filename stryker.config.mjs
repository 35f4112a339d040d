// Mutation testing (Stryker): how well the specs of the core modules catch one-line bugs.
// `npm run test:mutation` runs every area below (the weekly workflow, .github/workflows/mutation.yml);
// one area on a laptop: `MUTATION_AREA=report npm run test:mutation`, or name files
// (`npm run test:mutation -- --mutate runtime/jobs/report.ts`) and the specs of the area that owns
// them are picked. Running every spec for a one-file scope would cost the whole suite's dry run;
// MUTATION_SPECS narrows the specs further for one run.
// Incremental: reports/mutation/incremental.json lets a re-run test only mutants whose code or
// covering tests changed. Equivalent mutants are ignored in the code with
// `// Stryker disable next-line <mutator>: <why>`.
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

// Until stryker-js#6205 ships, the mocha runner cannot find mocha 12's cli files; the shim fixes
// that here (plugins load in this process) and in every test runner process (testRunnerNodeArgs).
const MOCHA12_SHIM = resolve("test/support/stryker-mocha12.cjs");
createRequire(import.meta.url)(MOCHA12_SHIM);

/** Area → the modules it mutates and the specs that check them (perTest picks per mutant among them). */
const AREAS = {
  report: { mutate: ["runtime/jobs/report.ts"], spec: ["test/jobs-report.spec.ts"] },
  retention: { mutate: ["runtime/jobs/retention.ts"], spec: ["test/jobs-retention.spec.ts"] },
  jobs: {
    mutate: ["runtime/jobs/**/*.ts"],
    spec: ["test/jobs-*.spec.ts", "test/s3-sync*.spec.ts", "test/s3-listing.spec.ts"],
  },
  // The EBS/RDS snapshot jobs, their DR copies and follow-ups, and the run plumbing they share, by
  // name so that `--mutate runtime/jobs/ebs.ts` picks these specs and not the S3 ones (`jobs` keeps
  // the whole folder for the weekly workflow). jobs-check runs the follow-ups as the check does.
  "jobs-snapshots": {
    mutate: [
      "abort",
      "context",
      "dr-copy",
      "ebs",
      "follow-up",
      "index",
      "pending",
      "rds",
      "record",
      "result",
      "run-ids",
      "tags",
      "targets",
      "wait",
    ].map((name) => `runtime/jobs/${name}.ts`),
    spec: [
      "abort",
      "aws-clients",
      "check",
      "ebs",
      "follow-up",
      "rds",
      "run-ids",
      "settings",
      "snapshot-waits",
      "wait",
    ].map((name) => `test/jobs-${name}.spec.ts`),
  },
  // The S3 backup path and the integrity check, against moto and the S3 fakes: `--mutate
  // runtime/jobs/s3-copy.ts` picks these specs only, not every job's (`jobs` keeps the whole folder).
  s3: {
    mutate: [
      "check",
      "s3",
      "s3-batch",
      "s3-batch-files",
      "s3-copy",
      "s3-errors",
      "s3-etag-pairs",
      "s3-listing",
      "s3-listing-scan",
      "s3-sync",
    ].map((name) => `runtime/jobs/${name}.ts`),
    spec: [
      "test/jobs-s3*.spec.ts",
      "test/s3-sync*.spec.ts",
      "test/s3-listing.spec.ts",
      "test/jobs-check.spec.ts",
    ],
  },
  slack: {
    mutate: ["runtime/slack/**/*.ts"],
    // Drills, restores and the monthly report are specified beside their features, Slack texts included.
    spec: [
      "test/slack-*.spec.ts",
      "test/success-rate.spec.ts",
      "test/drill-reporting.spec.ts",
      "test/restore-event.spec.ts",
      "test/reports-monthly.spec.ts",
      "test/reports-upload.spec.ts",
    ],
  },
  notion: {
    mutate: ["runtime/notion/**/*.ts"],
    // The drill, monthly report and restore specs pin those events' rows and bodies exactly.
    spec: [
      "test/notion-*.spec.ts",
      "test/success-rate.spec.ts",
      "test/drill-reporting.spec.ts",
      "test/reports-monthly.spec.ts",
      "test/restore-event.spec.ts",
    ],
  },
  server: {
    mutate: ["runtime/server/auth.ts", "runtime/server/validation.ts", "runtime/server/routes/**/*.ts"],
    // The monthly report and drill routes have their own specs beside their features.
    spec: ["test/server-*.spec.ts", "test/reports-http.spec.ts", "test/drill-http.spec.ts"],
  },
  "success-rate": { mutate: ["runtime/settings/success-rate.ts"], spec: ["test/success-rate.spec.ts"] },
  time: { mutate: ["runtime/contract/time.ts"], spec: ["test/time.spec.ts"] },
  policy: {
    // The generator script rewrites a JSON table offline; index.ts only assembles the pack, which
    // test/policy-pack.spec.ts checks by evaluating the whole program under mocks (a minute a run,
    // so it is left out below): each policy's own fixtures are what must catch a broken rule.
    mutate: ["policy/**/*.ts", "!policy/lib/generate-taggable-types.ts", "!policy/index.ts"],
    spec: ["test/policy-*.spec.ts"],
  },
  iam: {
    // The documents and the files that build them: the task role (task-permissions.ts, pure) and its
    // execution role (task-definition.ts), the Lambda, scheduler, Chatbot, S3 Batch and store
    // roles and policies, and the shared builders in iam.ts.
    mutate: [
      "alerting",
      "iam",
      "notifications",
      "s3-batch-role",
      "schedules",
      "store",
      "task-definition",
      "task-permissions",
    ].map((name) => `components/${name}.ts`),
    // The specs that read IAM documents (and infra-program's, which checks each resource's
    // parent), not every infra spec: physical names, Lambda packages and environments read none
    // (and the package size spec fails in Stryker's sandbox: Pulumi's default code paths, its
    // baseline, come out as 0 bytes there). Mocha runs a mutant's specs in this order and stops at
    // the first failure: the specs calling the builders directly first, then those pinning each
    // document exactly, then the IAM simulations (three program runs and the runtime's scan before
    // their first test).
    spec: [
      "test/infra-iam.spec.ts",
      "test/infra-task-statements.spec.ts",
      "test/s3-batch-role.spec.ts",
      "test/infra-store.spec.ts",
      "test/infra-notifications.spec.ts",
      "test/infra-schedules.spec.ts",
      "test/infra-alerting.spec.ts",
      "test/infra-service.spec.ts",
      "test/infra-bot-mode.spec.ts",
      "test/infra-program.spec.ts",
      "test/iam-policies.spec.ts",
      "test/infra-task-permissions.spec.ts",
    ],
  },
};

const prefixOf = (pattern) => pattern.replace(/\*.*$/, "");

/** The most specific area owning a file named with --mutate (an exact file beats a folder glob). */
function areaOwning(file) {
  let best;
  for (const [name, area] of Object.entries(AREAS)) {
    for (const pattern of area.mutate.filter((p) => !p.startsWith("!"))) {
      const prefix = prefixOf(pattern);
      const hit = pattern === file || (pattern.includes("*") && file.startsWith(prefix));
      if (hit && (!best || prefix.length > best.length)) best = { name, length: prefix.length };
    }
  }
  return best?.name;
}

/** Files given as `--mutate a,b` / `--mutate=a` / `-m a` (line ranges `file:1-9` dropped). */
function mutateArgs(argv) {
  const values = argv.flatMap((arg, i) =>
    arg.startsWith("--mutate=")
      ? [arg.slice(9)]
      : ["--mutate", "-m"].includes(arg)
        ? [argv[i + 1] ?? ""]
        : [],
  );
  return values
    .flatMap((v) => v.split(","))
    .filter(Boolean)
    .map((f) => f.replace(/:\d+(:\d+)?(-\d+(:\d+)?)?$/, "").replace(/^\.\//, ""));
}

function selectedAreas() {
  const named = (process.env.MUTATION_AREA ?? "").split(",").filter(Boolean);
  for (const name of named) {
    if (!AREAS[name]) throw new Error(`MUTATION_AREA: unknown area "${name}"; one of ${Object.keys(AREAS)}`);
  }
  if (named.length > 0) return named;
  const owners = mutateArgs(process.argv).map(areaOwning);
  if (owners.length > 0 && owners.every(Boolean)) return [...new Set(owners)];
  return Object.keys(AREAS);
}

const areas = selectedAreas().map((name) => AREAS[name]);

/**
 * MUTATION_SPECS (comma-separated files or globs) replaces the areas' specs for one run: a file
 * whose fast specs kill its mutants need not pay the moto-backed specs' dry run. Fewer specs can
 * only lower a score. (Stryker's own --testFiles runs no test after a worker restart for a static
 * mutant in 10.1.1, so such a mutant "survives"; a narrowed spec list has no such problem.)
 */
const specsNamed = (process.env.MUTATION_SPECS ?? "").split(",").filter(Boolean);
const unique = (lists) => [...new Set(lists.flat())];
const mutate = unique(areas.map((a) => a.mutate.filter((p) => !p.startsWith("!"))));
const excluded = unique(areas.map((a) => a.mutate.filter((p) => p.startsWith("!"))));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "mocha",
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  mutate: [...mutate, ...excluded],
  mochaOptions: {
    config: ".mocharc.json",
    spec: specsNamed.length > 0 ? specsNamed : unique(areas.map((a) => a.spec)),
    ignore: ["test/policy-pack.spec.ts"],
  },
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
  // Two cores shared on a laptop; the workflow raises it with --concurrency.
  concurrency: 1,
  // moto's virtualenv (test/support/moto.ts looks for it beside test/) is linked into the sandbox,
  // not copied: it is hundreds of megabytes and must not be rebuilt for every run. Anchored at the
  // root (gitignore syntax): a bare "reports" also dropped runtime/reports/ from the sandbox.
  ignorePatterns: ["/.venv", "/dist", "/.bench", "/reports"],
  ...(realVenv() ? { buildCommand: `ln -sfn ${realVenv()} .venv` } : {}),
  disableTypeChecks: "{runtime,policy,components,test}/**/*.ts",
  testRunnerNodeArgs: ["--require", MOCHA12_SHIM],
  timeoutMS: 30_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};

/** The project's moto virtualenv, when one exists (a fresh checkout builds it in the sandbox). */
function realVenv() {
  try {
    return realpathSync(".venv");
  } catch {
    return undefined;
  }
}
