import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FILES, generate, pulumiConfigBlock, replaceBetween, ROOT, yamlScalar } from "../scripts/gen-config";
import { SETTING_KEYS } from "../runtime/settings/declaration";

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("config: generated files", () => {
  it("must keep Pulumi.yaml's config block and the README tables as npm run gen:config writes them", () => {
    const current = { pulumiYaml: read(FILES.pulumiYaml), readme: read(FILES.readme) };
    const next = generate(current);
    assert.equal(next.pulumiYaml, current.pulumiYaml, "Pulumi.yaml is out of date: run npm run gen:config");
    assert.equal(next.readme, current.readme, "README.md is out of date: run npm run gen:config");
  });

  it("must declare every key in Pulumi.yaml and in the README's table, once each", () => {
    const yaml = read(FILES.pulumiYaml);
    const readme = read(FILES.readme);
    const table = readme.slice(
      readme.indexOf("<!-- BEGIN GENERATED: config"),
      readme.indexOf("<!-- END GENERATED: config"),
    );
    for (const key of SETTING_KEYS) {
      assert.equal(yaml.split("\n").filter((line) => line === `  ${key}:`).length, 1, `Pulumi.yaml: ${key}`);
      assert.equal(table.split(`\n| \`${key}\` |`).length - 1, 1, `README: ${key}`);
    }
    const block = yaml.slice(yaml.indexOf("\nconfig:\n"));
    assert.equal(block.split("\n").filter((line) => /^ {2}\w+:$/.test(line)).length, SETTING_KEYS.length);
  });

  it("must quote YAML values that would not read back as the same text", () => {
    // ": " starts a mapping, " #" a comment; bare 0.95, true or an empty string are not text.
    for (const value of ["a: b", "x #y", "0.95", "true", "", "- item", "ends with: "]) {
      assert.equal(yamlScalar(value), JSON.stringify(value), value);
    }
    for (const value of [
      "cron(0 9 ? * SUN *)",
      "Asia/Seoul",
      'Notion database "백업 로그" (#x), https://a/b',
    ]) {
      assert.equal(yamlScalar(value), value, value);
    }
    assert.match(pulumiConfigBlock(), /\n {4}default: "0\.95"\n/);
  });

  it("must fail loudly when a marker is missing rather than write elsewhere", () => {
    assert.throws(() => replaceBetween("no markers here", "config", "x", "md"), /markers .* not found/);
  });
});
