import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./support/pulumi-mocks";

const run = promisify(execFile);

interface Manifest {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

/**
 * `npm ci` then `npx drox-backup …` in a fresh clone: no dist/, nothing built. The clone is a
 * temporary copy of what git tracks for the CLI, with the installed node_modules linked in.
 */
describe("drox-backup right after install (no build)", function () {
  this.timeout(120_000);
  let clone: string;
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Manifest;

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return cliWith({}, ...args);
  }

  async function cliWith(
    env: Record<string, string>,
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const bin = path.join(clone, manifest.bin["drox-backup"] ?? "");
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        cwd: clone,
        env: { PATH: process.env.PATH ?? "", HOME: clone, ...env },
        encoding: "utf8",
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  before(() => {
    clone = fs.mkdtempSync(path.join(os.tmpdir(), "drox-clone-"));
    for (const entry of ["package.json", "tsconfig.json", "bin", "runtime"])
      fs.cpSync(path.join(ROOT, entry), path.join(clone, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));
  });

  /** The bundles the bin keeps for this clone (node_modules is the checkout's, linked). */
  const cacheDir = path.join(ROOT, "node_modules", ".cache", "drox-backup");
  const cached = (): string[] => {
    const prefix = `cli-${createHash("sha256").update(clone).digest("hex").slice(0, 8)}-`;
    return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.startsWith(prefix)) : [];
  };
  const bundles = (): string[] => cached().filter((f) => f.endsWith(".cjs"));

  after(() => {
    for (const file of cached()) fs.rmSync(path.join(cacheDir, file), { force: true });
    fs.rmSync(clone, { recursive: true, force: true });
  });

  it("must point the bin at a node script that exists without a build, and start from it", () => {
    const bin = manifest.bin["drox-backup"] ?? "";
    assert.ok(!bin.startsWith("dist/"), "the bin must not need `npm run build`");
    const text = fs.readFileSync(path.join(ROOT, bin), "utf8");
    assert.match(text, /^#!\/usr\/bin\/env node\n/);
    assert.ok((fs.statSync(path.join(ROOT, bin)).mode & 0o111) !== 0, "executable");
    assert.equal(manifest.scripts.start, `node ${bin} serve`);
    assert.equal(fs.existsSync(path.join(clone, "dist")), false);
  });

  it("must print the help with every command, exit 0", async () => {
    const { code, stdout } = await cli("--help");
    assert.equal(code, 0);
    for (const command of ["run", "check", "report", "serve", "doctor", "redrive", "history"])
      assert.match(stdout, new RegExp(`^  ${command}\\b`, "m"), command);
  });

  it("must run a command's action from the sources: doctor names what to fix, exit 1", async () => {
    const { code, stdout } = await cli("doctor", "--only", "slack", "--json");
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as { results: { section: string }[]; counts: { fail: number } };
    assert.deepEqual(
      report.results.map((r) => r.section),
      ["slack"],
    );
    assert.ok(report.counts.fail > 0, "no webhook is set");
  });

  it("must map errors to exit codes as the compiled CLI does", async () => {
    const { code, stderr } = await cli("history", "--type", "ec2");
    assert.equal(code, 2);
    assert.match(stderr, /Allowed choices are ebs, rds, s3, local_hdd/);
  });

  it("must reuse one bundle of the sources while they are unchanged", async () => {
    assert.equal((await cli("--help")).code, 0);
    const [bundle, ...others] = bundles();
    assert.ok(bundle, "the first start bundles the sources");
    assert.deepEqual(others, []);
    const built = fs.statSync(path.join(cacheDir, bundle));
    assert.equal((await cli("--help")).code, 0);
    assert.deepEqual(bundles(), [bundle]);
    assert.equal(fs.statSync(path.join(cacheDir, bundle)).mtimeMs, built.mtimeMs, "not rebuilt");
  });

  it("must run what is in runtime/ after an edit, replacing the old bundle", async () => {
    assert.equal((await cli("--help")).code, 0);
    const [before] = bundles();
    const file = path.join(clone, "runtime", "commands", "check.ts");
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(
      file,
      text.replace('.command("check")', '.command("check")\n    .alias("verify-edited")'),
    );
    const { code, stdout } = await cli("--help");
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}check\|verify-edited\b/m);
    const after = bundles();
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before, "a new bundle for the edited sources");
    fs.writeFileSync(file, text);
    assert.doesNotMatch((await cli("--help")).stdout, /verify-edited/);
  });

  it("must name the file of an error in the sources, bundled or not", async () => {
    const file = path.join(clone, "runtime", "commands", "check.ts");
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, `${text}\nexport const broken = ;\n`);
    try {
      const { code, stderr } = await cli("--help");
      assert.notEqual(code, 0);
      assert.match(stderr, /commands\/check\.ts/);
    } finally {
      fs.writeFileSync(file, text);
    }
  });

  it("must run the sources through tsx with DROX_BACKUP_TSX=1, mapping errors the same way", async () => {
    for (const file of cached()) fs.rmSync(path.join(cacheDir, file));
    const { code, stderr } = await cliWith({ DROX_BACKUP_TSX: "1" }, "history", "--type", "ec2");
    assert.equal(code, 2);
    assert.match(stderr, /Allowed choices are ebs, rds, s3, local_hdd/);
    assert.deepEqual(bundles(), [], "nothing bundled");
  });

  it("must keep build tooling out of the production dependencies the image installs", () => {
    for (const tool of ["tsx", "esbuild", "typescript", "@pulumi/pulumi"])
      assert.equal(tool in manifest.dependencies, false, tool);
  });
});
