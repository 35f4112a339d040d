import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofType, refersTo } from "./lib/references";
import { isRecord, isUnknownValue, unproxy } from "./lib/values";

interface BackupBucketProtectedConfig {
  bucketNamePattern?: string;
  requireKms?: boolean;
}

const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = [
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketVersioningV2:BucketVersioningV2",
];
const ENCRYPTION_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const PUBLIC_ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const LIFECYCLE_TYPES = [
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
];
const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
// Every caller keeps only the records in the list, and a filler string is not one, so a non-list
// reads as an empty list either way.
// Stryker disable next-line ArrayDeclaration: see above (equivalent)
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

// A value the engine does not know at preview counts as set: these settings are literals in the
// program, and `pulumi up` evaluates the stack again with every value resolved.
const enabledOrUnknown = (value: unknown, enabled: unknown): boolean =>
  value === enabled || isUnknownValue(value);

function versioningEnabled(bucket: Props, related: Props[]): boolean {
  const inline = isRecord(bucket.versioning) && bucket.versioning.enabled === true;
  return (
    inline ||
    related.some(
      (v) =>
        isRecord(v.versioningConfiguration) && enabledOrUnknown(v.versioningConfiguration.status, "Enabled"),
    )
  );
}

function encryptionAlgorithms(bucket: Props, related: Props[]): unknown[] {
  const inline = isRecord(bucket.serverSideEncryptionConfiguration)
    ? [bucket.serverSideEncryptionConfiguration.rule]
    : [];
  const rules = [...inline, ...related.flatMap((c) => list(c.rules))];
  return rules
    .map((rule) => (isRecord(rule) ? rule.applyServerSideEncryptionByDefault : undefined))
    .map((byDefault) => (isRecord(byDefault) ? byDefault.sseAlgorithm : undefined))
    .filter((algorithm) => algorithm !== undefined);
}

function publicAccessBlocked(related: Props[]): boolean {
  return related.some((block) => PUBLIC_ACCESS_FLAGS.every((flag) => enabledOrUnknown(block[flag], true)));
}

function lifecyclePresent(bucket: Props, related: Props[]): boolean {
  const inline = list(bucket.lifecycleRules).some((rule) => isRecord(rule) && rule.enabled === true);
  return (
    inline ||
    related.some((c) =>
      list(c.rules).some((rule) => isRecord(rule) && enabledOrUnknown(rule.status, "Enabled")),
    )
  );
}

export const backupBucketProtected: StackValidationPolicy = {
  name: "backup-bucket-protected",
  description:
    "The backup bucket keeps versions, is encrypted at rest, blocks public access and expires old backups " +
    "with a lifecycle rule.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      bucketNamePattern: {
        type: "string",
        description: "Regular expression on the bucket's Pulumi name; empty checks every bucket.",
        default: "",
      },
      requireKms: {
        type: "boolean",
        description: "Require SSE-KMS (aws:kms or aws:kms:dsse) rather than any server-side encryption.",
        default: false,
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<BackupBucketProtectedConfig>();
    const namePattern = new RegExp(config.bucketNamePattern ?? "");
    const requireKms = config.requireKms ?? false;
    const buckets = ofType(args.resources, ...BUCKET_TYPES).filter((b) => namePattern.test(b.name));

    for (const bucket of buckets) {
      const related = (types: string[]): Props[] =>
        ofType(args.resources, ...types)
          .filter((r) => refersTo(r, "bucket", bucket))
          .map(props);
      const b = props(bucket);
      const fix = (resource: string, args: string): string =>
        `Add new aws.s3.${resource}("${bucket.name}-…", { bucket: ${bucket.name}.id, ${args} }).`;

      if (!versioningEnabled(b, related(VERSIONING_TYPES))) {
        reportViolation(
          `Bucket "${bucket.name}" has no versioning, so an overwritten or deleted backup is gone. ` +
            fix("BucketVersioning", 'versioningConfiguration: { status: "Enabled" }'),
          bucket.urn,
        );
      }
      const algorithms = encryptionAlgorithms(b, related(ENCRYPTION_TYPES));
      if (algorithms.length === 0) {
        reportViolation(
          `Bucket "${bucket.name}" has no server-side encryption configuration. ` +
            fix(
              "BucketServerSideEncryptionConfiguration",
              'rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }]',
            ),
          bucket.urn,
        );
      } else if (
        requireKms &&
        !algorithms.every((a) => isUnknownValue(a) || (typeof a === "string" && a.startsWith("aws:kms")))
      ) {
        reportViolation(
          `Bucket "${bucket.name}" is encrypted with ${algorithms.join(", ")}, but this stack requires ` +
            'SSE-KMS: set sseAlgorithm to "aws:kms" (and kmsMasterKeyId to your key).',
          bucket.urn,
        );
      }
      if (!publicAccessBlocked(related([PUBLIC_ACCESS_BLOCK_TYPE]))) {
        reportViolation(
          `Bucket "${bucket.name}" does not block public access. ` +
            fix("BucketPublicAccessBlock", PUBLIC_ACCESS_FLAGS.map((f) => `${f}: true`).join(", ")),
          bucket.urn,
        );
      }
      if (!lifecyclePresent(b, related(LIFECYCLE_TYPES))) {
        reportViolation(
          `Bucket "${bucket.name}" has no enabled lifecycle rule, so backups (and their old versions) ` +
            "are kept and billed forever. " +
            fix(
              "BucketLifecycleConfiguration",
              'rules: [{ id: "expire-old-backups", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }]',
            ),
          bucket.urn,
        );
      }
    }
  },
};
