import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../runtime/logging/logger";
import { REDACTED, redactText, redactValue, registerSecret } from "../runtime/logging/redact";

const WEBHOOK = "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/SentinelSecretValue0001";

describe("redaction", () => {
  it("must mask Slack webhook URLs, Notion tokens and bearer tokens by shape", () => {
    const text = `posting to ${WEBHOOK} with secret_${"a".repeat(40)} and Bearer abcdefghijkl`;
    const out = redactText(text);
    assert.ok(!out.includes("SentinelSecretValue"));
    assert.ok(!out.includes("aaaaaaaaaa"));
    assert.ok(!out.includes("abcdefghijkl"));
    assert.equal(out.split(REDACTED).length - 1, 3);
  });

  it("must mask registered secret values wherever they appear", () => {
    registerSecret("plain-sentinel-api-token-42");
    assert.equal(redactText("token=plain-sentinel-api-token-42;"), `token=${REDACTED};`);
  });

  it("must scrub errors, their stacks and causes", () => {
    const error = new Error(`failed ${WEBHOOK}`, { cause: new Error(`inner ${WEBHOOK}`) });
    const out = JSON.stringify(redactValue({ err: error }));
    assert.ok(!out.includes("SentinelSecretValue"), out);
    assert.match(out, /inner \[REDACTED\]/);
  });

  it("must keep secrets out of every log line", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ destination, level: "debug" });
    log.info({ webhookUrl: WEBHOOK, nested: { url: WEBHOOK } }, `sending to ${WEBHOOK}`);
    log.error({ err: new Error(`boom ${WEBHOOK}`) }, "failed");
    log.info({ headers: { authorization: "Bearer xyzxyzxyzxyz" } }, "request");
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.ok(!line.includes("SentinelSecretValue"), line);
      assert.ok(!line.includes("xyzxyzxyzxyz"), line);
    }
    assert.match(lines[1]!, /boom \[REDACTED\]/);
    const logged = JSON.parse(lines[1]!) as { err: { type: string; message: string; stack: string } };
    assert.equal(logged.err.type, "Error");
    assert.equal(logged.err.message, "boom [REDACTED]");
    assert.match(logged.err.stack, /^Error: boom \[REDACTED\]\n\s+at /);
  });
});
