/**
 * IAM policy documents built from typed statements, so every component writes least-privilege
 * policies the same way and tests can parse them back.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Statement {
  readonly Sid?: string;
  readonly Effect?: "Allow" | "Deny";
  readonly Principal?: "*" | { readonly AWS?: pulumi.Input<string>; readonly Service?: string };
  readonly Action: string | readonly string[];
  readonly Resource: pulumi.Input<string> | readonly pulumi.Input<string>[];
  readonly Condition?: Record<string, Record<string, pulumi.Input<string> | readonly pulumi.Input<string>[]>>;
}

/** A JSON policy document; inputs (ARNs) are resolved first. */
export function policyDocument(statements: readonly Statement[]): pulumi.Output<string> {
  return pulumi
    .output(statements.map((s) => ({ Effect: "Allow", ...s })))
    .apply((resolved) => JSON.stringify({ Version: "2012-10-17", Statement: resolved }));
}

/** A trust policy letting one AWS service assume the role, scoped to this account when given. */
export function assumeRolePolicy(service: string, accountId?: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(accountId).apply((account) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: service },
          Action: "sts:AssumeRole",
          ...(account ? { Condition: { StringEquals: { "aws:SourceAccount": account } } } : {}),
        },
      ],
    }),
  );
}

/**
 * Values of `kms:ViaService`, `<service>.<region>.amazonaws.com`: a key grant conditioned on them
 * holds only when one of these services uses the key on the principal's behalf, never for a direct
 * KMS call (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 */
export function viaServices(
  services: readonly string[],
  region: pulumi.Input<string>,
): pulumi.Output<string>[] {
  return services.map((service) => pulumi.interpolate`${service}.${region}.amazonaws.com`);
}
