import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FILES, generate, pulumiConfigBlock, replaceBetween, ROOT, yamlScalar } from "../scripts/gen-config";
import { SETTING_KEYS } from "../runtime/settings/declaration";

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("config: generated files", () => {
  it("must keep Pulumi.yaml's config block and the tables of docs/configuration.md as npm run gen:config writes them", () => {
    const current = { pulumiYaml: read(FILES.pulumiYaml), configDoc: read(FILES.configDoc) };
    const next = generate(current);
    assert.equal(next.pulumiYaml, current.pulumiYaml, "Pulumi.yaml is out of date: run npm run gen:config");
    assert.equal(
      next.configDoc,
      current.configDoc,
      "docs/configuration.md is out of date: run npm run gen:config",
    );
  });

  it("must declare every key in Pulumi.yaml and in the table of docs/configuration.md, once each", () => {
    const yaml = read(FILES.pulumiYaml);
    const configDoc = read(FILES.configDoc);
    const table = configDoc.slice(
      configDoc.indexOf("<!-- BEGIN GENERATED: config"),
      configDoc.indexOf("<!-- END GENERATED: config"),
    );
    for (const key of SETTING_KEYS) {
      assert.equal(yaml.split("\n").filter((line) => line === `  ${key}:`).length, 1, `Pulumi.yaml: ${key}`);
      assert.equal(table.split(`\n| \`${key}\` |`).length - 1, 1, `docs/configuration.md: ${key}`);
    }
    const block = yaml.slice(yaml.indexOf("\nconfig:\n"));
    assert.equal(block.split("\n").filter((line) => /^ {2}\w+:$/.test(line)).length, SETTING_KEYS.length);
  });

  it("must give each variable the range the runtime reads, and list the AWS SDK's own variables (issue 17)", () => {
    const configDoc = read(FILES.configDoc);
    const table = configDoc.slice(
      configDoc.indexOf("<!-- BEGIN GENERATED: environment"),
      configDoc.indexOf("<!-- END GENERATED: environment"),
    );
    // The stack key stops at 256, the runtime (local runs) at 512; the table says the runtime's.
    assert.match(table, /\n\| `S3_SYNC_CONCURRENCY` \| `16` \(1–512\) \|/);
    assert.match(configDoc, /\n\| `s3SyncConcurrency` \| integer 1–256 \|/);
    for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]) {
      assert.equal(table.split(`\n| \`${name}\` |`).length - 1, 1, name);
    }
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
