/**
 * Notion's request size limits (developers.notion.com/reference/request-limits): a rich-text
 * item holds at most 2,000 characters, a rich-text array at most 100 items, a URL 2,000
 * characters, one children array at most 100 blocks, two levels of nesting, and one request at
 * most 1,000 block elements and 500 KB. The last one is in bytes: 100 blocks of 2,000 Korean
 * characters (3 bytes each in UTF-8) are 600 KB although every block is within its own limits.
 * Long text is split or cut here, visibly, so a long error message never makes Notion reject
 * the whole page — a 400 is final, and the page would be lost.
 */
/** The only rich-text shape the writer sends; structurally a Notion `RichTextItemRequest`. */
export interface RichTextItem {
  readonly type: "text";
  readonly text: { readonly content: string };
}

export const TEXT_LIMIT = 2000;
export const RICH_TEXT_ITEMS_LIMIT = 100;
export const URL_LIMIT = 2000;
export const CHILDREN_LIMIT = 100;
export const REQUEST_BYTES_LIMIT = 500_000;
/**
 * What the page body may take of the 500 KB: under half, so the properties (each bounded below)
 * and JSON framing always fit too.
 */
export const BODY_BYTES_BUDGET = 200_000;
/** One line of a list (a finding, a failed job): a line, not a document. */
export const LIST_ITEM_MAX = 500;
/** The error message's code block: ten rich-text items. */
export const ERROR_TEXT_MAX = 10 * TEXT_LIMIT;
/** A free-text property (Improvement): five rich-text items. */
export const PROPERTY_TEXT_MAX = 5 * TEXT_LIMIT;
export const ELLIPSIS = "…";

/** UTF-8 bytes of `value` as JSON, which is what Notion's 500 KB counts. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** Cuts `text` to at most `max` UTF-16 units (Notion's count), ending in `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  // Never leave half of a surrogate pair (an emoji) before the ellipsis (charAt(-1) is "").
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/** Splits text into ≤ 2,000-character pieces without splitting a surrogate pair. */
export function splitText(text: string, size: number = TEXT_LIMIT): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = size;
    if (/[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut -= 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

/**
 * A rich-text array for `text`: split into items of ≤ 2,000 characters, and cut with `…` when
 * longer than `maxChars` (by default what 100 items can hold).
 */
export function richText(
  text: string,
  maxChars: number = TEXT_LIMIT * RICH_TEXT_ITEMS_LIMIT,
): RichTextItem[] {
  if (text === "") return [];
  return splitText(truncate(text, maxChars)).map((content) => ({ type: "text", text: { content } }));
}

/** Plain text of a rich-text array, as Notion's `plain_text` would read it. */
export function plainText(
  items: readonly { readonly text?: { readonly content: string }; readonly plain_text?: string }[],
): string {
  return items.map((item) => item.plain_text ?? item.text?.content ?? "").join("");
}
