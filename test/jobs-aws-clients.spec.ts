import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { createEc2Client } from "../runtime/aws/clients";

const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>`;
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
    process.env = { ...saved };
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
