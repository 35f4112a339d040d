/**
 * Per-test coverage for work shared between specs, under Stryker's dry run. Stryker's mocha runner
 * records which mutants each test reaches (`perTest`) by setting `currentTestId` in a root
 * beforeEach and never clearing it, and then runs only those tests for each mutant. A program
 * evaluation that `cachedRun` makes once in a `before` hook and hands to every later spec breaks
 * that twice: its coverage lands on whichever test ran last (or counts as static), and the specs
 * reusing the cached run are recorded as reaching nothing of it — so a mutant in a policy statement
 * ran only an unrelated test and "survived". Here the coverage of each shared evaluation is kept,
 * taken off the test it was wrongly counted for, and given to every test that uses the evaluation:
 * each test of a spec file whose hooks asked for it, and each test that asked for it itself.
 * Outside Stryker's dry run (plain mocha, scripts, a mutant's run) nothing here does anything.
 */

type Counts = Record<string, number>;

interface StrykerContext {
  activeMutant?: unknown;
  currentTestId?: string;
  mutantCoverage?: { static: Counts; perTest: Record<string, Counts> };
}

const stryker = (): StrykerContext | undefined =>
  (globalThis as { __stryker__?: StrykerContext }).__stryker__;

/** Collecting per-test coverage: Stryker's namespace is there and no mutant is active. */
function collecting(): StrykerContext | undefined {
  const context = stryker();
  return context && context.activeMutant === undefined ? context : undefined;
}

/** Mutant ids each shared evaluation reached, by cache key. */
const reached = new Map<string, Set<string>>();
/** Keys asked for by hooks since the last test ended (they belong to the next test's file). */
let hookKeys: string[] = [];
/** Keys each spec file's hooks asked for. */
const fileKeys = new Map<string, Set<string>>();
/** Keys the running test asked for itself. */
let testKeys: string[] = [];
let inTest = false;

const snapshot = (context: StrykerContext): { static: Counts; perTest: Record<string, Counts> } => {
  const coverage = context.mutantCoverage ?? { static: {}, perTest: {} };
  return {
    static: { ...coverage.static },
    perTest: Object.fromEntries(Object.entries(coverage.perTest).map(([id, c]) => [id, { ...c }])),
  };
};

/** Restores one bucket's counts for the given ids; returns the ids whose count had grown. */
function takeBack(now: Counts, before: Counts, into: Set<string>): void {
  for (const [id, count] of Object.entries(now)) {
    const was = before[id];
    if (count === was) continue;
    into.add(id);
    if (was === undefined) Reflect.deleteProperty(now, id);
    else now[id] = was;
  }
}

/**
 * Runs a shared evaluation, remembering the mutants it reaches under `key`. Made from a hook, its
 * coverage is taken back from where Stryker counted it (the previous test, or static) and given to
 * the tests of the file at their start; made from a test, Stryker's own count is right.
 */
export async function evaluateShared<T>(key: string, evaluate: () => Promise<T>): Promise<T> {
  const context = collecting();
  if (!context) return evaluate();
  const before = snapshot(context);
  const fromHook = !inTest;
  const result = await evaluate();
  const ids = new Set<string>();
  const coverage = context.mutantCoverage;
  if (coverage) {
    if (fromHook) {
      takeBack(coverage.static, before.static, ids);
      for (const [test, counts] of Object.entries(coverage.perTest))
        takeBack(counts, before.perTest[test] ?? {}, ids);
    } else {
      for (const [test, counts] of Object.entries(coverage.perTest)) {
        const was = before.perTest[test] ?? {};
        for (const [id, count] of Object.entries(counts)) if (count !== was[id]) ids.add(id);
      }
    }
  }
  reached.set(key, ids);
  return result;
}

/** Notes that the running hook or test uses the shared evaluation under `key`. */
export function usedShared(key: string): void {
  if (!collecting()) return;
  if (inTest) testKeys.push(key);
  else hookKeys.push(key);
}

function credit(context: StrykerContext, testId: string, keys: Iterable<string>): void {
  const coverage = context.mutantCoverage;
  if (!coverage) return;
  const counts = (coverage.perTest[testId] ??= {});
  for (const key of keys) {
    for (const id of reached.get(key) ?? []) counts[id] = (counts[id] ?? 0) + 1;
  }
}

// Root hooks (registered once, when a spec first imports this): only under mocha and Stryker.
if (typeof beforeEach === "function" && stryker() !== undefined) {
  beforeEach(function () {
    const file = this.currentTest?.file ?? "";
    const keys = fileKeys.get(file) ?? new Set<string>();
    for (const key of hookKeys) keys.add(key);
    fileKeys.set(file, keys);
    hookKeys = [];
    testKeys = [];
    inTest = true;
  });
  afterEach(function () {
    inTest = false;
    const context = collecting();
    const test = this.currentTest;
    if (!context || !test) return;
    // Stryker's test id is the full title (its mocha runner's beforeEach).
    credit(context, test.fullTitle(), [...(fileKeys.get(test.file ?? "") ?? []), ...testKeys]);
    testKeys = [];
  });
}
