import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { backupBucketProtected } from "../policy/backup-bucket-protected";
import { Fixture, fixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";

const bucket = fixture(
  aws.s3.Bucket,
  "store-bucket",
  { bucket: "drox-backups-dev" },
  { outputs: { id: "drox-backups-dev" } },
);
const versioning = fixture(aws.s3.BucketVersioning, "store-versioning", {
  bucket: "drox-backups-dev",
  versioningConfiguration: { status: "Enabled" },
});
const encryption = fixture(aws.s3.BucketServerSideEncryptionConfiguration, "store-encryption", {
  bucket: "drox-backups-dev",
  rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
});
const publicAccess = fixture(aws.s3.BucketPublicAccessBlock, "store-public-access", {
  bucket: "drox-backups-dev",
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});
const lifecycle = fixture(aws.s3.BucketLifecycleConfiguration, "store-lifecycle", {
  bucket: "drox-backups-dev",
  rules: [{ id: "expire", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }],
});
const compliant = [bucket, versioning, encryption, publicAccess, lifecycle];

function without(...removed: Fixture[]): Fixture[] {
  return compliant.filter((r) => !removed.includes(r));
}

function replacing(original: Fixture, replacement: Fixture): Fixture[] {
  return compliant.map((r) => (r === original ? replacement : r));
}

async function messages(resources: Fixture[], config = {}): Promise<string[]> {
  const outcome = await runStackPolicy(backupBucketProtected, resources, config);
  for (const v of outcome.violations) {
    assert.equal(v.urn, bucket.urn);
    assert.equal(v.enforcementLevel, "mandatory");
  }
  return outcome.violations.map((v) => v.message);
}

describe("policy backup-bucket-protected", () => {
  it("must pass a bucket with versioning, encryption, a public access block and a lifecycle rule", async () => {
    assert.deepEqual(await messages(compliant), []);
  });

  it("must correlate by the dependency graph when the bucket name is unknown at preview", async () => {
    const deps = { propertyDependencies: { bucket: [bucket.urn] } };
    const unknownName = (f: Fixture): Fixture => ({
      ...f,
      props: { ...f.props, bucket: UNKNOWN_STRING },
      ...deps,
    });
    const preview = [
      { ...bucket, props: { bucket: UNKNOWN_STRING } },
      ...[versioning, encryption, publicAccess, lifecycle].map(unknownName),
    ];
    assert.deepEqual(await messages(preview), []);
    const withoutGraph = preview.map((f) => ({ ...f, propertyDependencies: {} }));
    assert.equal((await messages(withoutGraph)).length, 4);
  });

  it("must report a bucket without versioning", async () => {
    assert.deepEqual(
      (await messages(without(versioning))).map((m) => m.split(".")[0]),
      ['Bucket "store-bucket" has no versioning, so an overwritten or deleted backup is gone'],
    );
    const suspended = fixture(aws.s3.BucketVersioning, "store-versioning", {
      bucket: "drox-backups-dev",
      versioningConfiguration: { status: "Suspended" },
    });
    assert.equal((await messages(replacing(versioning, suspended))).length, 1);
  });

  it("must report a bucket without server-side encryption", async () => {
    const [message] = await messages(without(encryption));
    assert.match(
      message!,
      /has no server-side encryption configuration\. Add new aws\.s3\.BucketServerSideEncryptionConfiguration/,
    );
  });

  it("must report SSE-S3 only when the config requires KMS", async () => {
    const sseS3 = fixture(aws.s3.BucketServerSideEncryptionConfiguration, "store-encryption", {
      bucket: "drox-backups-dev",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    assert.deepEqual(await messages(replacing(encryption, sseS3)), []);
    const [message] = await messages(replacing(encryption, sseS3), { requireKms: true });
    assert.match(message!, /encrypted with AES256, but this stack requires SSE-KMS/);
  });

  it("must report a bucket whose public access block leaves a flag off", async () => {
    const partial = fixture(aws.s3.BucketPublicAccessBlock, "store-public-access", {
      bucket: "drox-backups-dev",
      blockPublicAcls: true,
      blockPublicPolicy: false,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const [message] = await messages(replacing(publicAccess, partial));
    assert.match(message!, /does not block public access/);
    assert.equal((await messages(without(publicAccess))).length, 1);
  });

  it("must report a bucket without an enabled lifecycle rule", async () => {
    const disabled = fixture(aws.s3.BucketLifecycleConfiguration, "store-lifecycle", {
      bucket: "drox-backups-dev",
      rules: [{ id: "expire", status: "Disabled" }],
    });
    const [message] = await messages(replacing(lifecycle, disabled));
    assert.match(message!, /has no enabled lifecycle rule/);
    assert.equal((await messages(without(lifecycle))).length, 1);
  });

  it("must not count another bucket's settings", async () => {
    const other = fixture(
      aws.s3.Bucket,
      "logs-bucket",
      { bucket: "drox-logs" },
      { outputs: { id: "drox-logs" } },
    );
    assert.equal((await runStackPolicy(backupBucketProtected, [...compliant, other])).violations.length, 4);
  });

  it("must check only the buckets matching bucketNamePattern", async () => {
    const other = fixture(aws.s3.Bucket, "logs-bucket", { bucket: "drox-logs" });
    const outcome = await runStackPolicy(backupBucketProtected, [...compliant, other], {
      bucketNamePattern: "^store-",
    });
    assert.deepEqual(outcome.violations, []);
  });

  it("must tell, for each missing protection, what it costs and the resource that adds it", async () => {
    // The fix names the bucket's Pulumi name as the resource and the variable, as a user would write it.
    assert.deepEqual(await messages([bucket]), [
      'Bucket "store-bucket" has no versioning, so an overwritten or deleted backup is gone. Add new ' +
        'aws.s3.BucketVersioning("store-bucket-…", { bucket: store-bucket.id, versioningConfiguration: ' +
        '{ status: "Enabled" } }).',
      'Bucket "store-bucket" has no server-side encryption configuration. Add new ' +
        'aws.s3.BucketServerSideEncryptionConfiguration("store-bucket-…", { bucket: store-bucket.id, rules: ' +
        '[{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] }).',
      'Bucket "store-bucket" does not block public access. Add new aws.s3.BucketPublicAccessBlock(' +
        '"store-bucket-…", { bucket: store-bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ' +
        "ignorePublicAcls: true, restrictPublicBuckets: true }).",
      'Bucket "store-bucket" has no enabled lifecycle rule, so backups (and their old versions) are kept and ' +
        'billed forever. Add new aws.s3.BucketLifecycleConfiguration("store-bucket-…", { bucket: ' +
        'store-bucket.id, rules: [{ id: "expire-old-backups", status: "Enabled", noncurrentVersionExpiration: ' +
        "{ noncurrentDays: 30 } }] }).",
    ]);
  });

  it("must judge the provider's V2 bucket types as the current ones", async () => {
    const v2 = [
      fixture(
        aws.s3.BucketV2,
        "store-bucket",
        { bucket: "drox-backups-dev" },
        { outputs: { id: "drox-backups-dev" } },
      ),
      fixture(aws.s3.BucketVersioningV2, "store-versioning", {
        bucket: "drox-backups-dev",
        versioningConfiguration: { status: "Enabled" },
      }),
      fixture(aws.s3.BucketServerSideEncryptionConfigurationV2, "store-encryption", {
        bucket: "drox-backups-dev",
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
      }),
      publicAccess,
      fixture(aws.s3.BucketLifecycleConfigurationV2, "store-lifecycle", {
        bucket: "drox-backups-dev",
        rules: [{ id: "expire", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } }],
      }),
    ];
    assert.deepEqual((await runStackPolicy(backupBucketProtected, v2)).violations, []);
    const bare = await runStackPolicy(backupBucketProtected, [v2[0]!]);
    assert.deepEqual(
      bare.violations.map((v) => [v.urn, v.message.split(".")[0]]),
      [
        'Bucket "store-bucket" has no versioning, so an overwritten or deleted backup is gone',
        'Bucket "store-bucket" has no server-side encryption configuration',
        'Bucket "store-bucket" does not block public access',
        'Bucket "store-bucket" has no enabled lifecycle rule, so backups (and their old versions) are kept and billed forever',
      ].map((m) => [v2[0]!.urn, m]),
    );
  });

  it("must count versioning, encryption and lifecycle rules set inline on a legacy Bucket", async () => {
    const inline = fixture(
      aws.s3.Bucket,
      "store-bucket",
      {
        bucket: "drox-backups-dev",
        versioning: { enabled: true },
        serverSideEncryptionConfiguration: {
          rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
        },
        lifecycleRules: [{ enabled: true, noncurrentVersionExpiration: { days: 30 } }],
      },
      { outputs: { id: "drox-backups-dev" } },
    );
    assert.deepEqual(await messages([inline, publicAccess]), []);
    const disabled = fixture(aws.s3.Bucket, "store-bucket", {
      bucket: "drox-backups-dev",
      versioning: { enabled: false },
      serverSideEncryptionConfiguration: { rule: { bucketKeyEnabled: true } },
      lifecycleRules: [{ enabled: false, noncurrentVersionExpiration: { days: 30 } }],
    });
    assert.deepEqual(
      (await messages([disabled, publicAccess])).map((m) => m.split(".")[0]),
      [
        'Bucket "store-bucket" has no versioning, so an overwritten or deleted backup is gone',
        'Bucket "store-bucket" has no server-side encryption configuration',
        'Bucket "store-bucket" has no enabled lifecycle rule, so backups (and their old versions) are kept and billed forever',
      ],
    );
  });

  it("must not count an encryption rule that sets no default algorithm", async () => {
    const keyOnly = fixture(aws.s3.BucketServerSideEncryptionConfiguration, "store-encryption", {
      bucket: "drox-backups-dev",
      rules: [{ bucketKeyEnabled: true }],
    });
    const [message] = await messages(replacing(encryption, keyOnly));
    assert.match(message!, /^Bucket "store-bucket" has no server-side encryption configuration\. /);
  });

  it("must pass a lifecycle configuration with one enabled rule among disabled ones", async () => {
    const mixed = fixture(aws.s3.BucketLifecycleConfiguration, "store-lifecycle", {
      bucket: "drox-backups-dev",
      rules: [
        { id: "old", status: "Disabled" },
        { id: "expire", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 30 } },
      ],
    });
    assert.deepEqual(await messages(replacing(lifecycle, mixed)), []);
  });

  it("must accept SSE-KMS, DSSE-KMS and an algorithm unknown at preview when the config requires KMS", async () => {
    for (const sseAlgorithm of ["aws:kms", "aws:kms:dsse", UNKNOWN_STRING]) {
      const kms = fixture(aws.s3.BucketServerSideEncryptionConfiguration, "store-encryption", {
        bucket: "drox-backups-dev",
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm } }],
      });
      assert.deepEqual(await messages(replacing(encryption, kms), { requireKms: true }), [], sseAlgorithm);
    }
  });

  it("must report a bucket with any rule short of KMS when the config requires it, naming every algorithm", async () => {
    const inlineSseS3 = fixture(
      aws.s3.Bucket,
      "store-bucket",
      {
        bucket: "drox-backups-dev",
        serverSideEncryptionConfiguration: {
          rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        },
      },
      { outputs: { id: "drox-backups-dev" } },
    );
    assert.deepEqual(await messages(replacing(bucket, inlineSseS3), { requireKms: true }), [
      'Bucket "store-bucket" is encrypted with AES256, aws:kms, but this stack requires SSE-KMS: set ' +
        'sseAlgorithm to "aws:kms" (and kmsMasterKeyId to your key).',
    ]);
  });
});
