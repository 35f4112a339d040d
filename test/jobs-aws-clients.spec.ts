import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createEc2Client, createS3Client } from "../runtime/aws/clients";

const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>`;
// S3's answer to a request sent to the wrong region
// (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, PermanentRedirect).
const REDIRECT = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Bucket>eu-data</Bucket><Endpoint>eu-data.s3.eu-west-1.amazonaws.com</Endpoint></Error>`;
const EMPTY_LISTING = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>eu-data</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;
const EMPTY = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><snapshotSet/></DescribeSnapshotsResponse>`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("AWS clients", function () {
  this.timeout(30_000);
  const saved = { ...process.env };
  let server: Server | undefined;

  beforeEach(() => {
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
    });
  });

  afterEach(async () => {
    // Restored in place: a plain object put in process.env's stead would stop later specs' changes
    // from reaching the real environment, which Node reads (os.tmpdir() reads TMPDIR there).
    for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
    Object.assign(process.env, saved);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it("must retry throttling with the SDK's retry strategy until the call succeeds", async () => {
    let calls = 0;
    server = createServer((_req, res) => {
      calls += 1;
      res.writeHead(calls <= 2 ? 503 : 200, { "content-type": "text/xml" });
      res.end(calls <= 2 ? THROTTLED : EMPTY);
    });
    const endpoint = await listen(server);
    const ec2 = createEc2Client();
    assert.equal(await ec2.config.maxAttempts(), 8);
    assert.equal(((await ec2.config.retryStrategy()) as { mode?: string }).mode, "adaptive");
    const out = await new EC2ClientCall(ec2, endpoint).describe();
    assert.deepEqual(out.Snapshots, []);
    assert.equal(calls, 3);
  });

  it("must follow S3's redirect to a source bucket in another region", async () => {
    const signedFor: string[] = [];
    server = createServer((req, res) => {
      const region = /Credential=[^/]+\/\d+\/([^/]+)\/s3\//.exec(req.headers.authorization ?? "")?.[1] ?? "";
      signedFor.push(region);
      if (region !== "eu-west-1") {
        res.writeHead(301, { "content-type": "application/xml", "x-amz-bucket-region": "eu-west-1" });
        res.end(REDIRECT);
        return;
      }
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(EMPTY_LISTING);
    });
    process.env.AWS_ENDPOINT_URL = await listen(server);
    const s3 = createS3Client();
    const out = await s3.send(new ListObjectsV2Command({ Bucket: "eu-data" }));
    assert.equal(out.KeyCount, 0);
    assert.deepEqual(signedFor, ["us-east-1", "eu-west-1"]);
    assert.equal(await s3.config.region(), "us-east-1", "the client's own region is kept");
  });

  it("must give up on a request that gets no response within the request timeout", async () => {
    server = createServer(() => {
      // never answers
    });
    const endpoint = await listen(server);
    const started = Date.now();
    const ec2 = createEc2Client({ requestTimeoutMs: 300, maxAttempts: 2 });
    await assert.rejects(new EC2ClientCall(ec2, endpoint).describe());
    assert.ok(Date.now() - started < 10_000, "bounded by the request timeout, not hanging");
  });
});

/** Points a built client at the local server (the factory reads AWS_ENDPOINT_URL only at construction). */
class EC2ClientCall {
  constructor(
    private readonly ec2: ReturnType<typeof createEc2Client>,
    private readonly endpoint: string,
  ) {}

  describe() {
    const url = new URL(this.endpoint);
    this.ec2.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { hostname: string; port?: number; protocol: string };
        request.hostname = url.hostname;
        request.port = Number(url.port);
        request.protocol = "http:";
        return next(args);
      },
      { step: "finalizeRequest", name: "toLocalServer", priority: "low" },
    );
    return this.ec2.send(new DescribeSnapshotsCommand({}));
  }
}
