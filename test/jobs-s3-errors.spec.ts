import assert from "node:assert/strict";
import { DroxError } from "../runtime/contract/errors";
import {
  bucketError,
  copyFailureMessage,
  describeS3Error,
  formatS3Error,
  isAbortError,
  isS3ErrorCode,
} from "../runtime/jobs/s3-errors";

/**
 * An error as the AWS SDK v3 throws it for S3: `name` is the error code, `$metadata.httpStatusCode`
 * the HTTP status (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html lists each
 * code with its status), `$fault` who is to blame.
 */
function s3Error(code: string, message: string, status: number | undefined, extra: object = {}): Error {
  return Object.assign(new Error(message), {
    name: code,
    $fault: status !== undefined && status >= 500 ? "server" : "client",
    $metadata: status === undefined ? {} : { httpStatusCode: status, requestId: "4442587FB7D0A2F9" },
    ...extra,
  });
}

describe("S3 errors", () => {
  describe("describeS3Error", () => {
    it("must describe something thrown that is not an object as a plain, final Error", () => {
      assert.deepEqual(describeS3Error("socket hang up"), {
        code: "Error",
        message: "socket hang up",
        retryable: false,
      });
      assert.deepEqual(describeS3Error(null), { code: "Error", message: "null", retryable: false });
      assert.deepEqual(describeS3Error(undefined), { code: "Error", message: "undefined", retryable: false });
    });

    it("must take S3's Code from the error body before the JS error's name", () => {
      // The SDK copies the error body's fields onto the error: Code is S3's, name may be generic.
      const error = Object.assign(new Error("Please reduce your request rate."), {
        name: "S3ServiceException",
        Code: "SlowDown",
        $metadata: { httpStatusCode: 503 },
      });
      assert.deepEqual(describeS3Error(error), {
        code: "SlowDown",
        message: "Please reduce your request rate.",
        statusCode: 503,
        retryable: true,
      });
      assert.equal(describeS3Error(Object.assign(new Error("x"), { Code: 42 })).code, "Error");
      assert.equal(describeS3Error({ name: 7, message: "no code" }).code, "Error");
      assert.equal(describeS3Error({ message: "no code" }).code, "Error");
    });

    it("must read the status only when the SDK recorded a number", () => {
      assert.equal(
        describeS3Error(s3Error("NoSuchKey", "The specified key does not exist.", 404)).statusCode,
        404,
      );
      assert.equal(
        describeS3Error({ name: "NoSuchKey", $metadata: { httpStatusCode: "404" } }).statusCode,
        undefined,
      );
      assert.equal(describeS3Error({ name: "NoSuchKey", $metadata: {} }).statusCode, undefined);
      assert.equal(describeS3Error({ name: "NoSuchKey" }).statusCode, undefined);
    });

    it("must fall back to the code when a HEAD's error has no message of its own", () => {
      // A HEAD answer has no body: the SDK's message is empty or the status text.
      assert.equal(describeS3Error(s3Error("NotFound", "", 404)).message, "NotFound");
      assert.equal(describeS3Error({ name: "NotFound", message: 404 }).message, "NotFound");
      assert.equal(describeS3Error({ name: "NotFound" }).message, "NotFound");
      assert.equal(describeS3Error(s3Error("NotFound", "UnknownError", 404)).message, "UnknownError");
    });

    it("must call retryable the codes S3 and the SDK document as transient, whatever the status", () => {
      // SlowDown and ServiceUnavailable are 503, InternalError 500, RequestTimeout 400,
      // RequestTimeTooSkewed 403 (ErrorResponses.html); Throttling/ThrottlingException are the
      // SDK's throttling codes and TimeoutError its own socket timeout. Without a status here, so
      // the code alone decides.
      for (const code of [
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "TimeoutError",
      ]) {
        assert.equal(describeS3Error(s3Error(code, "try again", undefined)).retryable, true, code);
      }
      for (const code of ["AccessDenied", "NoSuchBucket", "InvalidObjectState", "Error"]) {
        assert.equal(describeS3Error(s3Error(code, "final", undefined)).retryable, false, code);
      }
    });

    it("must call retryable any 5xx and 429, and no other status", () => {
      const at = (status: number) => describeS3Error(s3Error("UnknownError", "", status)).retryable;
      assert.equal(at(500), true);
      assert.equal(at(501), true);
      assert.equal(at(503), true);
      assert.equal(at(429), true);
      assert.equal(at(499), false);
      assert.equal(at(428), false);
      assert.equal(at(430), false);
      assert.equal(at(404), false);
      assert.equal(at(301), false);
    });

    it("must call retryable an error the SDK marked $retryable", () => {
      const marked = s3Error("RequestLimitExceeded", "too many", 400, { $retryable: { throttling: true } });
      assert.equal(describeS3Error(marked).retryable, true);
      const unmarked = s3Error("RequestLimitExceeded", "too many", 400);
      assert.equal(describeS3Error(unmarked).retryable, false);
    });
  });

  it("must format `Code: message`, or the code alone when the message only repeats it", () => {
    assert.equal(
      formatS3Error(s3Error("NoSuchKey", "The specified key does not exist.", 404)),
      "NoSuchKey: The specified key does not exist.",
    );
    assert.equal(formatS3Error(s3Error("NotFound", "", 404)), "NotFound");
    assert.equal(formatS3Error(s3Error("NotFound", "NotFound", 404)), "NotFound");
    assert.equal(formatS3Error("socket hang up"), "Error: socket hang up");
  });

  it("must match an error against any of the codes given, and only those", () => {
    const missing = s3Error("NoSuchKey", "The specified key does not exist.", 404);
    assert.equal(isS3ErrorCode(missing, "NoSuchKey", "NotFound"), true);
    assert.equal(isS3ErrorCode(missing, "NotFound", "NoSuchKey"), true);
    assert.equal(isS3ErrorCode(missing, "NotFound"), false);
    assert.equal(isS3ErrorCode(missing), false);
  });

  it("must know an abort or a timeout from any other failure", () => {
    assert.equal(
      isAbortError(Object.assign(new Error("This operation was aborted"), { name: "AbortError" })),
      true,
    );
    assert.equal(isAbortError(Object.assign(new Error("timed out"), { name: "TimeoutError" })), true);
    assert.equal(isAbortError(new DOMException("The operation was aborted.", "AbortError")), true);
    assert.equal(isAbortError(s3Error("SlowDown", "Please reduce your request rate.", 503)), false);
    assert.equal(isAbortError({ message: "AbortError" }), false);
    assert.equal(isAbortError("AbortError"), false);
    assert.equal(isAbortError(null), false);
    assert.equal(isAbortError(undefined), false);
  });

  describe("bucketError", () => {
    it("must say that a missing bucket does not exist, by its code or its 404", () => {
      const missing = bucketError(
        "source",
        "photos",
        "list",
        s3Error("NoSuchBucket", "The specified bucket does not exist", 404),
      );
      assert.ok(missing instanceof DroxError);
      assert.equal(
        missing.message,
        'Cannot list S3 source bucket "photos": the bucket does not exist (NoSuchBucket)',
      );
      assert.equal(missing.retryable, false);
      assert.equal(missing.statusCode, 404);
      // HeadBucket has no body: its 404 is only the status.
      assert.equal(
        bucketError("backup", "vault", "read", s3Error("NotFound", "", 404)).message,
        'Cannot read S3 backup bucket "vault": the bucket does not exist (NotFound)',
      );
      // An error S3 embeds in a copy's 200 answer is thrown by the SDK with status 503: the code decides.
      assert.equal(
        bucketError(
          "source",
          "photos",
          "copy from",
          s3Error("NoSuchBucket", "The specified bucket does not exist", 503),
        ).message,
        'Cannot copy from S3 source bucket "photos": the bucket does not exist (NoSuchBucket)',
      );
    });

    it("must name the region of a bucket the request could not be redirected to", () => {
      const redirect = s3Error(
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified endpoint.",
        301,
        {
          $response: { statusCode: 301, headers: { "x-amz-bucket-region": "ap-east-1" } },
        },
      );
      const error = bucketError("backup", "hk-vault", "copy into", redirect);
      assert.equal(
        error.message,
        'Cannot copy into S3 backup bucket "hk-vault": the bucket is in region ap-east-1, which the request ' +
          "could not be redirected to; enable that region for the account or back the bucket up from a stack there " +
          "(PermanentRedirect)",
      );
      assert.equal(error.statusCode, 301);
      assert.equal(error.cause, redirect);
    });

    it("must name the region of an opt-in region's bucket the request could not reach", () => {
      // A bucket in a Region not enabled for the account: S3 answers 400 IllegalLocationConstraintException.
      const optIn = s3Error(
        "IllegalLocationConstraintException",
        "The eu-south-2 location constraint is not valid",
        400,
        {
          $response: { statusCode: 400, headers: { "x-amz-bucket-region": "eu-south-2" } },
        },
      );
      assert.equal(
        bucketError("source", "madrid-data", "list", optIn).message,
        'Cannot list S3 source bucket "madrid-data": the bucket is in region eu-south-2, which the request ' +
          "could not be redirected to; enable that region for the account or back the bucket up from a stack there " +
          "(IllegalLocationConstraintException)",
      );
    });

    it("must describe a redirect or a location error that names no region as S3 worded it", () => {
      for (const response of [undefined, {}, { headers: {} }]) {
        const redirect = s3Error("PermanentRedirect", "Use the bucket's endpoint.", 301, {
          $response: response,
        });
        assert.equal(
          bucketError("source", "far", "list", redirect).message,
          'Cannot list S3 source bucket "far": PermanentRedirect: Use the bucket\'s endpoint.',
        );
      }
      const constraint = s3Error(
        "IllegalLocationConstraintException",
        "The location constraint is not valid",
        400,
      );
      assert.equal(
        bucketError("source", "far", "list", constraint).message,
        'Cannot list S3 source bucket "far": IllegalLocationConstraintException: The location constraint is not valid',
      );
    });

    it("must not blame the region for another error that carries the region header", () => {
      // S3 sends x-amz-bucket-region on other answers too (a 403 from HeadBucket, for one).
      const denied = s3Error("AccessDenied", "Access Denied", 403, {
        $response: { statusCode: 403, headers: { "x-amz-bucket-region": "eu-west-1" } },
      });
      assert.equal(
        bucketError("source", "locked", "list", denied).message,
        'Cannot list S3 source bucket "locked": AccessDenied: Access Denied',
      );
    });

    it("must keep whether retrying can help, the status and the cause", () => {
      const slow = s3Error("SlowDown", "Please reduce your request rate.", 503);
      const error = bucketError("backup", "vault", "list", slow);
      assert.equal(
        error.message,
        'Cannot list S3 backup bucket "vault": SlowDown: Please reduce your request rate.',
      );
      assert.equal(error.retryable, true);
      assert.equal(error.statusCode, 503);
      assert.equal(error.cause, slow);
      for (const thrown of [null, undefined]) {
        assert.equal(
          bucketError("source", "photos", "list", thrown).message,
          `Cannot list S3 source bucket "photos": Error: ${String(thrown)}`,
        );
      }
      const offline = bucketError("backup", "vault", "list", "socket hang up");
      assert.equal(offline.message, 'Cannot list S3 backup bucket "vault": Error: socket hang up');
      assert.equal(offline.retryable, false);
      assert.equal(offline.statusCode, undefined);
    });
  });

  describe("copyFailureMessage", () => {
    const fix =
      '(source bucket "src" encrypts this object with a KMS key the task cannot use: allow the task role ' +
      "kms:Decrypt on that key, and in the key's policy too when the key belongs to another account)";

    it("must add the fix when the source's KMS key refused the copy", () => {
      // AccessDenied from KMS names the action; a disabled or deleted key answers a KMS.* code.
      const denied = s3Error(
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/drox-task/1 is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
        403,
      );
      assert.equal(copyFailureMessage(denied, "src"), `AccessDenied: ${denied.message} ${fix}`);
      for (const code of ["KMS.DisabledException", "KMS.NotFoundException", "KMS.KMSInvalidStateException"]) {
        assert.equal(copyFailureMessage(s3Error(code, "key", 400), "src"), `${code}: key ${fix}`);
      }
      const worded = s3Error(
        "AccessDenied",
        "The ciphertext refers to a KMS key that is not accessible",
        403,
      );
      assert.equal(copyFailureMessage(worded, "src"), `AccessDenied: ${worded.message} ${fix}`);
    });

    it("must leave other failures as S3 worded them", () => {
      assert.equal(
        copyFailureMessage(s3Error("AccessDenied", "Access Denied", 403), "src"),
        "AccessDenied: Access Denied",
      );
      // "kms" inside a word (a bucket's name) is no KMS refusal, nor is a code that only mentions KMS.
      assert.equal(
        copyFailureMessage(s3Error("AccessDenied", "Access Denied to bucket backupkms", 403), "src"),
        "AccessDenied: Access Denied to bucket backupkms",
      );
      assert.equal(
        copyFailureMessage(s3Error("InvalidObjectState", "kms:Decrypt is not the problem", 403), "src"),
        "InvalidObjectState: kms:Decrypt is not the problem",
      );
      assert.equal(copyFailureMessage(s3Error("NoKMS.Key", "gone", 400), "src"), "NoKMS.Key: gone");
    });
  });
});
