/**
 * Notion's request size limits (developers.notion.com/reference/request-limits): a rich-text
 * item holds at most 2,000 characters, a rich-text array at most 100 items, a URL 2,000
 * characters, and one request at most 100 children. Long text is split or cut here, visibly,
 * so a long error message never makes Notion reject the whole page.
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
export const ELLIPSIS = "…";

/** Cuts `text` to at most `max` UTF-16 units (Notion's count), ending in `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  // Never leave half of a surrogate pair (an emoji) before the ellipsis.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end -= 1;
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
