import assert from "node:assert/strict";
import { ConfigError } from "../runtime/contract/errors";
import { parseNotionId, requireNotionId, toDashedId } from "../runtime/notion/ids";

const HEX = "0123456789abcdef0123456789abcdef";
const DASHED = "01234567-89ab-cdef-0123-456789abcdef";

describe("Notion database id parsing", () => {
  it("must accept a bare 32-hex id and lower-case it", () => {
    assert.equal(parseNotionId(HEX), HEX);
    assert.equal(parseNotionId(HEX.toUpperCase()), HEX);
    assert.equal(parseNotionId(`  ${HEX}\n`), HEX);
  });

  it("must accept the dashed UUID form", () => {
    assert.equal(parseNotionId(DASHED), HEX);
  });

  it("must take the id from the seed's 'Copy link to view' URL forms, not the ?v= view id", () => {
    const view = "fedcba9876543210fedcba9876543210";
    assert.equal(parseNotionId(`https://www.notion.so/workspace/${HEX}?v=${view}`), HEX);
    assert.equal(parseNotionId(`https://www.notion.so/${HEX}?v=${view}`), HEX);
    assert.equal(parseNotionId(`https://www.notion.so/workspace/Backup-Log-${HEX}?v=${view}&pvs=4`), HEX);
    assert.equal(
      parseNotionId(`https://www.notion.so/workspace/${encodeURIComponent("백업-로그")}-${HEX}?v=${view}`),
      HEX,
    );
    assert.equal(parseNotionId(`www.notion.so/${HEX}`), HEX);
    assert.equal(parseNotionId(`https://acme.notion.site/${DASHED}`), HEX);
  });

  it("must reject the seed's placeholder and other non-ids", () => {
    assert.equal(parseNotionId("abc123def456"), undefined);
    assert.equal(parseNotionId(`https://www.notion.so/workspace/Backup-Log?v=${HEX}`), undefined);
    assert.equal(parseNotionId(`https://example.com/${HEX}`), undefined);
    assert.equal(parseNotionId(`${HEX}0`), undefined);
    assert.equal(parseNotionId(""), undefined);
  });

  it("must name the variable in the ConfigError and not echo the value", () => {
    assert.throws(
      () => requireNotionId(undefined, "NOTION_DATABASE_ID"),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /NOTION_DATABASE_ID must be set/);
        return true;
      },
    );
    assert.throws(
      () => requireNotionId("secret_notanid", "NOTION_DATABASE_ID"),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /^NOTION_DATABASE_ID is not a Notion database id/);
        assert.doesNotMatch(e.message, /secret_notanid/);
        return true;
      },
    );
    assert.equal(requireNotionId(`https://www.notion.so/${HEX}?v=1`, "notionDatabaseId"), HEX);
  });

  it("must take the id only where Notion puts it: the end of the last path segment of a notion host", () => {
    assert.equal(
      parseNotionId(`https://www.notion.so/workspace/Backup-Log-${HEX}/`),
      HEX,
      "a trailing slash",
    );
    assert.equal(parseNotionId(`https://notion.so/${HEX}`), HEX, "the bare notion.so host");
    assert.equal(parseNotionId(`https://notion.so.evil.example/${HEX}`), undefined);
    assert.equal(parseNotionId(`https://www.notion.so/workspace/Backup-Log-${HEX}-copy`), undefined);
    assert.equal(parseNotionId(`https://www.notion.so/workspace/${DASHED}-copy`), undefined);
    assert.equal(parseNotionId(`${DASHED}0`), undefined, "a UUID and one more character");
    // Without a scheme, even when the query holds a URL of its own.
    assert.equal(parseNotionId(`www.notion.so/workspace/Backup-Log-${HEX}?from=https://example.com`), HEX);
  });

  it("must tell a blank value from a wrong one, and show where the id is found", () => {
    assert.throws(
      () => requireNotionId("   ", "NOTION_DATABASE_ID"),
      /NOTION_DATABASE_ID must be set to the Notion database id or its URL/,
    );
    assert.throws(
      () => requireNotionId("nope", "NOTION_DATABASE_ID"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          "NOTION_DATABASE_ID is not a Notion database id: expected 32 hex characters (with or without dashes) or the " +
            'database URL from "Copy link to view", e.g. https://www.notion.so/workspace/Backup-Log-<32 hex>?v=…',
    );
  });

  it("must format the dashed form the API shows", () => {
    assert.equal(toDashedId(HEX), DASHED);
  });
});
