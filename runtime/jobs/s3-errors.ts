/**
 * Turns AWS SDK errors from S3 into short, stack-free descriptions: the sync reports per-object
 * failures as one line each and wraps bucket-level failures in a DroxError naming the bucket.
 */
import { DroxError } from "../contract/errors";

export interface S3ErrorInfo {
  /** S3 error code (`NoSuchBucket`, `AccessDenied`, …) or the JS error name. */
  readonly code: string;
  readonly message: string;
  readonly statusCode?: number;
  readonly retryable: boolean;
}

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  Code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const RETRYABLE_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "InternalError",
  "ServiceUnavailable",
  "TimeoutError",
]);

export function describeS3Error(error: unknown): S3ErrorInfo {
  if (typeof error !== "object" || error === null) {
    return { code: "Error", message: String(error), retryable: false };
  }
  const shape = error as SdkErrorShape;
  const code =
    typeof shape.Code === "string" ? shape.Code : typeof shape.name === "string" ? shape.name : "Error";
  const statusCode =
    typeof shape.$metadata?.httpStatusCode === "number" ? shape.$metadata.httpStatusCode : undefined;
  // HEAD responses have no body, so the SDK's message is just the status text ("NotFound", "UnknownError").
  const rawMessage = typeof shape.message === "string" && shape.message !== "" ? shape.message : code;
  const retryable =
    shape.$retryable !== undefined ||
    RETRYABLE_CODES.has(code) ||
    (statusCode ?? 0) >= 500 ||
    statusCode === 429;
  return { code, message: rawMessage, statusCode, retryable };
}

/** One line for a failure list or a log: `Code: message`, without repeating the code. */
export function formatS3Error(error: unknown): string {
  const info = describeS3Error(error);
  return info.message === info.code ? info.code : `${info.code}: ${info.message}`;
}

export function isS3ErrorCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes(describeS3Error(error).code);
}

export function isAbortError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "name" in error &&
    (error.name === "AbortError" || error.name === "TimeoutError")
  );
}

/** The region S3 names in a redirect (`x-amz-bucket-region`), if it named one. */
function regionOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const response = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response;
  return response?.headers?.["x-amz-bucket-region"];
}

/** A bucket that cannot be read or written at all: the whole sync fails with this. */
export function bucketError(
  role: "source" | "backup",
  bucket: string,
  action: string,
  error: unknown,
): DroxError {
  const info = describeS3Error(error);
  const region = regionOf(error);
  const reason =
    info.code === "NoSuchBucket" || info.statusCode === 404
      ? "the bucket does not exist"
      : region !== undefined &&
          (info.statusCode === 301 || info.code === "IllegalLocationConstraintException")
        ? `the bucket is in region ${region}, which the request could not be redirected to; enable that region for the account or back the bucket up from a stack there`
        : "";
  const detail = reason === "" ? formatS3Error(error) : `${reason} (${info.code})`;
  return new DroxError(`Cannot ${action} S3 ${role} bucket "${bucket}": ${detail}`, {
    retryable: info.retryable,
    statusCode: info.statusCode,
    cause: error,
  });
}

/**
 * A source object encrypted with a customer KMS key can be copied only by a role that may decrypt
 * with that key (CopyObject and UploadPartCopy read the source: "you must have permission to the
 * kms:Decrypt action", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). S3
 * answers AccessDenied naming kms:Decrypt, or a `KMS.*` code for a key that is disabled or gone.
 */
function isKmsRefusal(info: S3ErrorInfo): boolean {
  return info.code.startsWith("KMS.") || (info.code === "AccessDenied" && /\bkms\b|kms:/i.test(info.message));
}

/** One object's failure, with the fix when the cause is the source's KMS key. */
export function copyFailureMessage(error: unknown, sourceBucket: string): string {
  const line = formatS3Error(error);
  if (!isKmsRefusal(describeS3Error(error))) return line;
  return (
    `${line} (source bucket "${sourceBucket}" encrypts this object with a KMS key the task cannot use: ` +
    "allow the task role kms:Decrypt on that key, and in the key's policy too when the key belongs to another account)"
  );
}
