/**
 * Names AWS holds unique per account and region, for the few resources the program names itself
 * (the KMS alias, the custom metric namespace, the task definition family, the Chatbot
 * configuration). Each carries the stack, so dev and prod deploy side by side in one account: a
 * shared KMS alias fails the second stack's `up` with AlreadyExists, and a shared metric namespace
 * lets dev's failed jobs fire prod's alarm. Every other resource is left to Pulumi's auto-naming
 * (logical name plus a random suffix); test/infra-stack-names.spec.ts fails on any explicit name
 * two stacks share.
 */
import * as pulumi from "@pulumi/pulumi";

/** `<base>-<stack>`, with the stack Pulumi runs (`pulumi.getStack()`) unless given. */
export function stackScoped(base: string, stack: string = pulumi.getStack()): string {
  return `${base}-${stack}`;
}

/**
 * `alias/<base>-<stack>`. An alias is 1-256 characters of A-Z, a-z, 0-9, `/`, `_` and `-`, and a
 * customer managed key's alias cannot begin with `alias/aws/`
 * (https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html); a Pulumi stack name
 * may also hold periods, which become hyphens here.
 */
export function kmsAliasName(base: string, stack?: string): string {
  return `alias/${stackScoped(base, stack).replace(/[^A-Za-z0-9/_-]/g, "-")}`;
}

/** Why a KMS alias would be refused by CreateAlias, or undefined when it is valid. */
export function kmsAliasProblem(alias: string): string | undefined {
  if (!alias.startsWith("alias/")) return `"${alias}" must begin with alias/`;
  if (alias.startsWith("alias/aws/"))
    return `"${alias}": the alias/aws/ prefix is reserved for AWS managed keys`;
  if (alias.length > 256 || !/^alias\/[A-Za-z0-9/_-]+$/.test(alias)) {
    return `"${alias}" must be at most 256 characters of A-Z, a-z, 0-9, /, _ and - after alias/`;
  }
  return undefined;
}

/** The project's custom metrics live under this namespace, one sub-namespace per stack. */
export const METRIC_NAMESPACE_ROOT = "DroxBackup";

/**
 * `DroxBackup/<stack>`. A namespace is up to 255 ASCII characters (letters, digits, `.`, `-`, `_`,
 * `/`, `#`, `:` and space) and must not begin with `AWS/`, which AWS reserves for its services
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Namespace);
 * Pulumi stack names (letters, digits, `-`, `_`, `.`) always fit.
 */
export function metricNamespace(stack: string = pulumi.getStack()): string {
  return `${METRIC_NAMESPACE_ROOT}/${stack}`;
}

/** Why CloudWatch would refuse a custom metric namespace, or undefined when it is valid. */
export function metricNamespaceProblem(namespace: string): string | undefined {
  if (namespace.startsWith("AWS/")) return `"${namespace}": the AWS/ prefix is reserved for AWS services`;
  if (namespace.length > 255 || namespace.trim() === "" || !/^[A-Za-z0-9._/#: -]+$/.test(namespace)) {
    return `"${namespace}" must be 1-255 characters of A-Z, a-z, 0-9, ., -, _, /, #, : and space`;
  }
  return undefined;
}
