/**
 * A fake of the S3 Control job calls (moto has no Batch Operations): a real S3ControlClient whose
 * CreateJob and DescribeJob are answered at the client, with the jobs' copies made in moto through
 * an S3 client, so what a job copies, fails and reports is what S3 (moto) did.
 *
 * Modelled on the documented behaviour:
 * - CreateJob (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html): AccountId
 *   `^\d{12}$`, RoleArn, Priority, Operation, Report and Manifest required; a manifest is a CSV
 *   object in format S3BatchOperations_CSV_20180820 named by its ObjectArn and ETag (an ETag that
 *   does not match is refused); the same ClientRequestToken returns the same job.
 * - Jobs with ConfirmationRequired false go to Active without a person (statuses:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobDescriptor.html). Here a job
 *   stays Active until the test calls `run`, which makes every copy and ends it Complete, or Failed
 *   when more than half of at least 1,000 tasks failed ("If the job's failure rate exceeds 50 percent
 *   after at least 1,000 tasks have been attempted, the job fails",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html).
 * - S3PutObjectCopy copies each manifest object with CopyObject into TargetResource under
 *   `<TargetKeyPrefix>/` ("to copy objects into a folder named Folder1 … set the TargetKeyPrefix
 *   property to Folder1", API_control_S3CopyObjectOperation), only if unmodified since
 *   UnModifiedSinceConstraint.
 * - The completion report (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html):
 *   `<Prefix>/job-<id>/manifest.json` listing the result CSVs, rows
 *   `bucket,key,versionId,failed,<http status>,<error code>,<message>`; FailedTasksOnly writes
 *   only the failed tasks' file.
 */
import { createHash, randomUUID } from "node:crypto";
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  BadRequestException,
  NotFoundException,
  S3ControlClient,
  type CreateJobCommandInput,
  type CreateJobCommandOutput,
  type DescribeJobCommandInput,
  type DescribeJobCommandOutput,
  type JobStatus,
} from "@aws-sdk/client-s3-control";
import { describeS3Error } from "../../runtime/jobs/s3-errors";

export interface FakeJob {
  readonly id: string;
  readonly request: CreateJobCommandInput;
  status: JobStatus;
  total: number;
  succeeded: number;
  failed: number;
  failureReasons: { FailureCode: string; FailureReason: string }[];
}

const bad = (message: string) => new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });

function bucketOfArn(arn: string | undefined): string {
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(arn ?? "");
  if (!match) throw bad(`not an S3 bucket ARN: ${arn}`);
  return match[1]!;
}

async function text(s3: S3Client, bucket: string, key: string): Promise<{ body: string; etag: string }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: (await out.Body?.transformToString("utf-8")) ?? "", etag: out.ETag ?? "" };
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export class FakeS3Control {
  readonly client: S3ControlClient;
  readonly jobs = new Map<string, FakeJob>();
  private readonly tokens = new Map<string, string>();

  constructor(private readonly s3: S3Client) {
    this.client = new S3ControlClient({
      region: "us-east-1",
      // Never contacted; a host name, because the client puts the account id in front of it (the
      // test environment's moto endpoint is an IP address, which cannot take that prefix).
      endpoint: "https://s3-control.fake.invalid",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "CreateJobCommand") {
          const output = await this.createJob(args.input as CreateJobCommandInput);
          return { output, response: {} };
        }
        if (context.commandName === "DescribeJobCommand") {
          return { output: this.describeJob(args.input as DescribeJobCommandInput), response: {} };
        }
        return next(args);
      },
      { step: "initialize", priority: "high", name: "droxFakeS3Control" },
    );
  }

  private async createJob(input: CreateJobCommandInput): Promise<CreateJobCommandOutput> {
    if (!/^\d{12}$/.test(input.AccountId ?? "")) throw bad("AccountId must be 12 digits");
    if (!input.RoleArn || input.Priority === undefined || !input.Operation || !input.Report) {
      throw bad("RoleArn, Priority, Operation and Report are required");
    }
    const existing = input.ClientRequestToken ? this.tokens.get(input.ClientRequestToken) : undefined;
    if (existing) return { $metadata: { httpStatusCode: 200 }, JobId: existing };
    const manifest = input.Manifest;
    if (manifest?.Spec?.Format !== "S3BatchOperations_CSV_20180820") throw bad("unsupported manifest format");
    const arn = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/.exec(manifest.Location?.ObjectArn ?? "");
    if (!arn) throw bad("the manifest's ObjectArn is not an S3 object ARN");
    const { etag } = await text(this.s3, arn[1]!, arn[2]!).catch(() => {
      throw bad("the manifest cannot be read");
    });
    if (etag.replace(/"/g, "") !== (manifest.Location?.ETag ?? "").replace(/"/g, "")) {
      throw bad("the manifest's ETag does not match the object");
    }
    const copy = input.Operation.S3PutObjectCopy;
    if (!copy) throw bad("this fake models S3PutObjectCopy only");
    bucketOfArn(copy.TargetResource);
    if (input.Report.Enabled) bucketOfArn(input.Report.Bucket);
    const id = randomUUID();
    this.jobs.set(id, {
      id,
      request: input,
      status: input.ConfirmationRequired ? "Suspended" : "Active",
      total: 0,
      succeeded: 0,
      failed: 0,
      failureReasons: [],
    });
    if (input.ClientRequestToken) this.tokens.set(input.ClientRequestToken, id);
    return { $metadata: { httpStatusCode: 200 }, JobId: id };
  }

  private describeJob(input: DescribeJobCommandInput): DescribeJobCommandOutput {
    const job = this.jobs.get(input.JobId ?? "");
    if (!job || job.request.AccountId !== input.AccountId) {
      throw new NotFoundException({ message: `no job ${input.JobId}`, $metadata: { httpStatusCode: 404 } });
    }
    return {
      $metadata: { httpStatusCode: 200 },
      Job: {
        JobId: job.id,
        Status: job.status,
        Operation: job.request.Operation,
        Manifest: job.request.Manifest,
        Report: job.request.Report,
        RoleArn: job.request.RoleArn,
        ProgressSummary: {
          TotalNumberOfTasks: job.total,
          NumberOfTasksSucceeded: job.succeeded,
          NumberOfTasksFailed: job.failed,
        },
        ...(job.failureReasons.length > 0 ? { FailureReasons: job.failureReasons } : {}),
      },
    };
  }

  /** Runs every Active job to its end: the copies in moto, then the completion report. */
  async run(): Promise<void> {
    for (const job of this.jobs.values()) if (job.status === "Active") await this.runJob(job);
  }

  private async runJob(job: FakeJob): Promise<void> {
    const copy = job.request.Operation!.S3PutObjectCopy!;
    const target = bucketOfArn(copy.TargetResource);
    const arn = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/.exec(job.request.Manifest!.Location!.ObjectArn!)!;
    const { body } = await text(this.s3, arn[1]!, arn[2]!);
    const failedRows: string[] = [];
    for (const line of body.split("\n").filter((l) => l !== "")) {
      const [bucket = "", encoded = ""] = line.split(",");
      const key = decodeURIComponent(encoded);
      job.total += 1;
      try {
        await this.s3.send(
          new CopyObjectCommand({
            Bucket: target,
            Key: copy.TargetKeyPrefix ? `${copy.TargetKeyPrefix}/${key}` : key,
            CopySource: `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`,
            MetadataDirective: copy.MetadataDirective,
            CopySourceIfUnmodifiedSince: copy.UnModifiedSinceConstraint,
          }),
        );
        job.succeeded += 1;
      } catch (error) {
        job.failed += 1;
        const info = describeS3Error(error);
        failedRows.push(
          [
            bucket,
            encoded,
            "",
            "failed",
            String(info.statusCode ?? 500),
            info.code,
            csvField(info.message),
          ].join(","),
        );
      }
    }
    if (job.total >= 1000 && job.failed * 2 > job.total) {
      job.status = "Failed";
      job.failureReasons.push({
        FailureCode: "Task failure rate exceeded",
        FailureReason: "More than 50% of the tasks failed",
      });
    } else {
      job.status = "Complete";
    }
    await this.writeReport(job, failedRows);
  }

  private async writeReport(job: FakeJob, failedRows: string[]): Promise<void> {
    const report = job.request.Report!;
    if (!report.Enabled) return;
    const bucket = bucketOfArn(report.Bucket);
    const base = `${report.Prefix ? `${report.Prefix}/` : ""}job-${job.id}`;
    const results: { TaskExecutionStatus: string; Bucket: string; MD5Checksum: string; Key: string }[] = [];
    if (failedRows.length > 0) {
      const body = failedRows.map((r) => `${r}\n`).join("");
      const md5 = createHash("md5").update(body).digest("hex");
      const key = `${base}/results/${createHash("sha1").update(body).digest("hex")}.csv`;
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      results.push({ TaskExecutionStatus: "failed", Bucket: bucket, MD5Checksum: md5, Key: key });
    }
    const manifest = {
      Format: "Report_CSV_20180820",
      ReportCreationDate: new Date().toISOString(),
      Results: results,
      ReportSchema: "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
    };
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${base}/manifest.json`, Body: JSON.stringify(manifest) }),
    );
  }
}
