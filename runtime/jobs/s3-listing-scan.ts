/**
 * The next page's continuation token read straight from a ListObjectsV2 page's raw XML, so the
 * listing can ask for that page while the SDK is still parsing this one (the parse is most of a
 * page's CPU, and without this it sits in each listing's chain of round trips). Only a guess: the
 * listing uses the request it starts only if the parsed token is the same, so the scan may refuse
 * anything it does not expect (a comment, CDATA, a processing instruction, a character reference,
 * a tag twice) and never has to understand XML. An element's text holds `<` and `&` only escaped,
 * as one of the five predefined entities or a character reference (https://www.w3.org/TR/xml/#syntax);
 * only a comment, CDATA section, processing instruction or DOCTYPE could show a tag that is not one.
 */
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/**
 * The page's NextContinuationToken when the page says it is truncated and both appear exactly once
 * as plain elements; undefined (no guess) otherwise.
 */
export function scanNextToken(body: Buffer): string | undefined {
  // A comment, CDATA or DOCTYPE (`<!`), or a processing instruction past the declaration (`<?`).
  if (body.includes("<!") || body.indexOf("<?", 1) !== -1) return undefined;
  if (only(body, "<IsTruncated>") !== only(body, "<IsTruncated>true</IsTruncated>")) return undefined;
  if (only(body, "<IsTruncated>") === -1) return undefined;
  const open = only(body, "<NextContinuationToken>");
  if (open === -1) return undefined;
  const from = open + "<NextContinuationToken>".length;
  const close = body.indexOf("</NextContinuationToken>", from);
  // Stryker disable next-line UnaryOperator: close is -1 or past `from`, never 1; with -1 the slice below is "" and refused
  if (close === -1) return undefined;
  const raw = body.toString("utf8", from, close);
  if (raw === "" || raw.includes("<")) return undefined;
  let strict = true;
  const token = raw.replace(/&([^;]*);?/g, (whole, name: string) => {
    const decoded = whole.endsWith(";") ? ENTITIES[name] : undefined;
    if (decoded === undefined) strict = false;
    return decoded ?? whole;
  });
  return strict ? token : undefined;
}

/** Where `text` is in `body` if it is there exactly once; -1 if absent or repeated. */
function only(body: Buffer, text: string): number {
  const at = body.indexOf(text);
  return at !== -1 && body.indexOf(text, at + text.length) === -1 ? at : -1;
}

/**
 * A successful raw response's body read once into a buffer and put back in its place (the SDK's
 * deserializer takes a Uint8Array body as it is, collectBody in @smithy/core); undefined for an
 * error answer or a body already read, both left to the SDK untouched.
 */
export async function bufferBody(response: {
  statusCode?: number;
  body?: unknown;
}): Promise<Buffer | undefined> {
  const body = response.body;
  if (response.statusCode !== 200 || !isStream(body)) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  response.body = bytes;
  return bytes;
}

function isStream(body: unknown): body is AsyncIterable<unknown> {
  return (
    typeof body === "object" && body !== null && Symbol.asyncIterator in body && !(body instanceof Uint8Array)
  );
}
