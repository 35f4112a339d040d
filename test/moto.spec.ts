import assert from "node:assert/strict";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { useMoto } from "./support/moto";

describe("moto test support", function () {
  this.timeout(300_000);

  it("must serve the AWS API on loopback and reset between specs", async () => {
    const moto = await useMoto();
    assert.match(moto.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    await moto.reset();
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "drox-moto-probe" }));
    const before = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(
      before.Buckets?.map((b) => b.Name),
      ["drox-moto-probe"],
    );
    await moto.reset();
    const after = await s3.send(new ListBucketsCommand({}));
    assert.equal(after.Buckets?.length ?? 0, 0);
  });
});
