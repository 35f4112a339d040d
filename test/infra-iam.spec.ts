/**
 * The document builders every component writes its IAM policies with (components/iam.ts), read
 * back as IAM reads them. The program-wide specs (iam-policies, infra-task-permissions) judge the
 * documents the stack ends up with; this one pins what each builder adds on its own, with values
 * from IAM's and KMS's documentation.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument, viaServices } from "../components/iam";

/** An output's value: outside a deployment every value is known, so apply runs once. */
const valueOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => {
    output.apply(resolve);
  });

const parsed = async (document: pulumi.Output<string>): Promise<unknown> =>
  JSON.parse(await valueOf(document)) as unknown;

describe("infra: IAM document builders", () => {
  it("must write the current policy language version, Allow unless a statement says Deny, inputs resolved", async () => {
    // "2012-10-17" is the current version; without it policy variables are read as literal text
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
    const document = policyDocument([
      {
        Sid: "ReadBackups",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [pulumi.output("arn:aws:s3:::drox-backups"), "arn:aws:s3:::drox-backups/*"],
      },
      {
        Sid: "NoDeletes",
        Effect: "Deny",
        Action: "s3:DeleteObject",
        Resource: "*",
        Condition: { StringNotEquals: { "aws:PrincipalAccount": pulumi.output("123456789012") } },
      },
    ]);
    assert.deepEqual(await parsed(document), {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Sid: "ReadBackups",
          Action: ["s3:GetObject", "s3:ListBucket"],
          Resource: ["arn:aws:s3:::drox-backups", "arn:aws:s3:::drox-backups/*"],
        },
        {
          Effect: "Deny",
          Sid: "NoDeletes",
          Action: "s3:DeleteObject",
          Resource: "*",
          Condition: { StringNotEquals: { "aws:PrincipalAccount": "123456789012" } },
        },
      ],
    });
  });

  it("must let only the service assume the role, and only for this account when the account is known", async () => {
    // aws:SourceAccount guards against the confused deputy
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
    assert.deepEqual(
      await parsed(assumeRolePolicy("scheduler.amazonaws.com", pulumi.output("123456789012"))),
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "scheduler.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
          },
        ],
      },
    );
    assert.deepEqual(await parsed(assumeRolePolicy("lambda.amazonaws.com")), {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
  });

  it("must name each service as kms:ViaService expects it: <service>.<region>.amazonaws.com", async () => {
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    assert.deepEqual(
      await valueOf(pulumi.all(viaServices(["s3", "dynamodb"], pulumi.output("ap-northeast-2")))),
      ["s3.ap-northeast-2.amazonaws.com", "dynamodb.ap-northeast-2.amazonaws.com"],
    );
  });
});
