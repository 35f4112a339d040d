/**
 * An in-process S3 object store for the specs of small pieces that PUT and GET a few objects (the
 * pairs of ETags, the S3 Batch manifest and reports): answered at the client, so a spec runs in
 * milliseconds without moto. Modelled on S3's documented behaviour
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, API_GetObject.html,
 * ErrorResponses.html):
 * - PutObject stores the body and answers its ETag, the MD5 of the data in quotes (an object PUT
 *   in one part without SSE-C or SSE-KMS, API_Object.html);
 * - GetObject of a missing key fails with NoSuchKey (404); with If-None-Match equal to the object's
 *   ETag it fails with 304 Not Modified; otherwise it answers the body as a stream that can also be
 *   read whole (`transformToString`), as the SDK's body can;
 * - ListObjectsV2 answers the keys under Prefix in ascending UTF-8 byte order, up to 1,000 a page,
 *   with Size and ETag, IsTruncated and an opaque NextContinuationToken (API_ListObjectsV2.html).
 * `fail` makes a request fail as S3 would (AccessDenied, SlowDown…) before it is served; a request
 * whose abortSignal has fired fails with an AbortError, as the SDK's HTTP handler fails it.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { S3ServiceException, type S3Client } from "@aws-sdk/client-s3";

export interface ObjectRequest {
  readonly command: string;
  readonly bucket: string;
  readonly key: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The abortSignal the request was sent with. */
  readonly signal?: AbortSignal;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType?: string;
}

export function s3Failure(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  return Buffer.alloc(0);
}

/** A GetObject body: a stream of the bytes that can also be read whole, like the SDK's. */
function streamOf(bytes: Buffer): Readable & { transformToString(encoding?: string): Promise<string> } {
  return Object.assign(Readable.from([bytes]), {
    transformToString: async (encoding?: string) => bytes.toString((encoding ?? "utf-8") as BufferEncoding),
  });
}

export class FakeS3Objects {
  /** `bucket/key` → the object. */
  readonly objects = new Map<string, StoredObject>();
  readonly requests: ObjectRequest[] = [];
  /** An error to fail a request with instead of serving it, or undefined to serve it. */
  fail: (request: ObjectRequest) => Error | undefined = () => undefined;

  constructor(s3: S3Client) {
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? "";
        if (!["PutObjectCommand", "GetObjectCommand", "ListObjectsV2Command"].includes(command))
          return next(args);
        const input = args.input as Record<string, unknown> & { Bucket?: string; Key?: string };
        // Where the SDK passes send()'s abortSignal on to the request handler (@smithy/core's Command).
        const signal = (context as { __smithy_context?: { abortSignal?: AbortSignal } }).__smithy_context
          ?.abortSignal;
        const request: ObjectRequest = {
          command,
          bucket: input.Bucket ?? "",
          key: input.Key ?? "",
          input,
          signal,
        };
        this.requests.push(request);
        // As the SDK's HTTP handler does for a request whose signal has fired.
        if (signal?.aborted) throw Object.assign(new Error("Request aborted"), { name: "AbortError" });
        const failure = this.fail(request);
        if (failure !== undefined) throw failure;
        const output =
          command === "PutObjectCommand"
            ? await this.put(request, input.Body)
            : command === "GetObjectCommand"
              ? this.get(request)
              : this.list(request);
        return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} };
      },
      { step: "initialize", name: "fakeS3Objects" },
    );
  }

  /**
   * Stores an object as a PUT would (for a spec's starting state); `etag` stands for an ETag that is
   * not the MD5 (an SSE-KMS bucket's, or a multipart upload's).
   */
  putText(bucket: string, key: string, text: string, etag?: string): string {
    const body = Buffer.from(text, "utf8");
    const stored = etag ?? `"${createHash("md5").update(body).digest("hex")}"`;
    this.objects.set(`${bucket}/${key}`, { body, etag: stored });
    return stored;
  }

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString("utf8");
  }

  /** The requests of one command, in order. */
  sent(command: "PutObject" | "GetObject" | "ListObjectsV2"): ObjectRequest[] {
    return this.requests.filter((r) => r.command === `${command}Command`);
  }

  private async put(request: ObjectRequest, body: unknown): Promise<object> {
    const bytes = await bytesOf(body);
    const etag = `"${createHash("md5").update(bytes).digest("hex")}"`;
    const contentType = typeof request.input.ContentType === "string" ? request.input.ContentType : undefined;
    this.objects.set(`${request.bucket}/${request.key}`, { body: bytes, etag, contentType });
    return { ETag: etag };
  }

  private get(request: ObjectRequest): object {
    const object = this.objects.get(`${request.bucket}/${request.key}`);
    if (object === undefined) throw s3Failure("NoSuchKey", 404, "The specified key does not exist.");
    const ifNoneMatch = request.input.IfNoneMatch;
    if (typeof ifNoneMatch === "string" && ifNoneMatch === object.etag) {
      throw s3Failure("NotModified", 304, "Not Modified");
    }
    return {
      Body: streamOf(object.body),
      ETag: object.etag,
      ContentLength: object.body.length,
      ...(object.contentType === undefined ? {} : { ContentType: object.contentType }),
    };
  }

  private list(request: ObjectRequest): object {
    const prefix = typeof request.input.Prefix === "string" ? request.input.Prefix : "";
    const token = typeof request.input.ContinuationToken === "string" ? request.input.ContinuationToken : "";
    const after = Buffer.from(token, "base64url");
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(`${request.bucket}/`))
      .map((k) => k.slice(request.bucket.length + 1))
      .filter((k) => k.startsWith(prefix) && (token === "" || Buffer.compare(Buffer.from(k), after) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, 1000);
    const truncated = keys.length > page.length;
    return {
      Name: request.bucket,
      Prefix: prefix,
      KeyCount: page.length,
      MaxKeys: 1000,
      Contents: page.map((key) => {
        const object = this.objects.get(`${request.bucket}/${key}`)!;
        return { Key: key, Size: object.body.length, ETag: object.etag, StorageClass: "STANDARD" };
      }),
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: Buffer.from(page.at(-1)!).toString("base64url") } : {}),
    };
  }
}
