/**
 * AWS SDK v3 clients for the jobs, built one way: the SDK's own retry strategy (adaptive mode
 * adds client-side rate limiting on throttling on top of the standard exponential backoff), and
 * request/connection timeouts so a stuck socket can never hang a job. Where AWS lives comes from
 * the SDK's standard environment (AWS_REGION, AWS_ENDPOINT_URL, credentials).
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { RDSClient } from "@aws-sdk/client-rds";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { STSClient } from "@aws-sdk/client-sts";

export interface AwsClientOptions {
  /** Overrides AWS_REGION, e.g. the DR region for cross-region copies. */
  readonly region?: string;
  /** Attempts per call including the first (SDK retry strategy). @default 8 */
  readonly maxAttempts?: number;
  /** @default "adaptive" */
  readonly retryMode?: "standard" | "adaptive";
  /** Milliseconds a single request may stay without a response. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Milliseconds to establish a connection. @default 5000 */
  readonly connectionTimeoutMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

/** The configuration every client shares; exported so tests can assert it. */
export function clientConfig(options: AwsClientOptions = {}) {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: options.retryMode ?? "adaptive",
    // The SDK builds its NodeHttpHandler from these options. Without throwOnRequestTimeout a
    // request past requestTimeout only logs a warning and keeps waiting.
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}

export function createEc2Client(options: AwsClientOptions = {}): EC2Client {
  return new EC2Client(clientConfig(options));
}

export function createRdsClient(options: AwsClientOptions = {}): RDSClient {
  return new RDSClient(clientConfig(options));
}

export function createS3Client(options: AwsClientOptions = {}): S3Client {
  // Custom endpoints (moto, MinIO, VPC endpoints by IP) rarely resolve bucket subdomains.
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  // A bucket in another region answers 301 PermanentRedirect with its region in
  // `x-amz-bucket-region`; the SDK then retries there (
  // https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-middleware-sdk-s3/Interface/S3InputConfig/).
  return new S3Client({ ...clientConfig(options), forcePathStyle, followRegionRedirects: true });
}

/**
 * `s3` itself, or a client in the bucket's own region when it lives elsewhere. The redirect the SDK
 * follows costs a second round trip on every request, and it swaps the shared client's region while
 * the retry is in flight (aws/aws-sdk-js-v3#5554), which concurrent requests to the backup bucket
 * would pick up: a sync reads a source bucket in another region through its own client. A bucket
 * that cannot be reached at all keeps `s3`, so the listing reports it with its usual message.
 */
export async function s3ClientForBucket(
  s3: S3Client,
  bucket: string,
  options: AwsClientOptions = {},
): Promise<S3Client> {
  try {
    const region = (await s3.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
    if (region === undefined || region === (await s3.config.region())) return s3;
    return createS3Client({ ...options, region });
  } catch {
    return s3;
  }
}

export function createSnsClient(options: AwsClientOptions = {}): SNSClient {
  return new SNSClient(clientConfig(options));
}

/** Only for naming the operator of a restore: a few attempts, so a missing network does not stall it. */
export function createStsClient(options: AwsClientOptions = {}): STSClient {
  return new STSClient(clientConfig({ maxAttempts: 2, ...options }));
}

export function createDynamoDbClient(options: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(clientConfig(options));
}
