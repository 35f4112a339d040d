/**
 * A role that may delete EBS volumes or RDS DB instances may delete only a restore drill's scratch
 * resources (runtime/drills): `ec2:DeleteVolume` only with a condition that the volume carries the
 * drill tag, `rds:DeleteDBInstance` only on `drox-drill-*` instances carrying it. Without that, a
 * bug or a leaked task credential could delete production data volumes and databases — the very
 * resources the backups protect. Wildcards (`ec2:*`, `rds:Delete*`, `*`) and NotAction count as
 * granting the delete. Checked on RolePolicy, Policy and a Role's inlinePolicies; a document still
 * unknown at preview is checked again by `pulumi up` once resolved.
 */
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { DRILL_INSTANCE_PREFIX, DRILL_TAG } from "../runtime/drills/names";
import { documentOf, listOf, stringsOf } from "./lib/documents";
import { isRecord, unproxy } from "./lib/values";

/** Whether an IAM action pattern (`*` and `?` wildcards, case-insensitive) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "i").test(action);
}

function grants(statement: Record<string, unknown>, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !stringsOf(statement.NotAction).some((p) => covers(p, action));
  return stringsOf(statement.Action).some((p) => covers(p, action));
}

/** The condition keys a statement tests that prove the resource carries the drill tag. */
function requiresDrillTag(statement: Record<string, unknown>, keys: readonly string[]): boolean {
  const condition = unproxy(statement.Condition);
  if (!isRecord(condition)) return false;
  return Object.entries(condition).some(([operator, tests]) => {
    if (!isRecord(tests)) return false;
    return keys.some((key) => {
      const value = tests[key];
      if (value === undefined) return false;
      if (operator === "Null") return stringsOf(value).every((v) => v === "false");
      // StringEquals/StringLike on the tag's value: only a value of the drill tag matches.
      return /^String(Equals|Like)$/.test(operator) && stringsOf(value).length > 0;
    });
  });
}

const VOLUME_KEYS = [`aws:ResourceTag/${DRILL_TAG}`];
const INSTANCE_KEYS = [`aws:ResourceTag/${DRILL_TAG}`, `rds:db-tag/${DRILL_TAG}`];

/** One message per statement that lets its role delete what no drill made. */
function unscopedDeletes(document: unknown): string[] {
  const doc = documentOf(document);
  if (!doc) return [];
  return listOf(doc.Statement).flatMap((raw, i) => {
    const statement = unproxy(raw);
    if (!isRecord(statement) || statement.Effect !== "Allow") return [];
    const name = typeof statement.Sid === "string" && statement.Sid ? `"${statement.Sid}"` : `#${i + 1}`;
    const problems: string[] = [];
    if (grants(statement, "ec2:DeleteVolume") && !requiresDrillTag(statement, VOLUME_KEYS)) {
      problems.push(
        `Statement ${name} lets the role delete any EBS volume: allow ec2:DeleteVolume only with ` +
          `"Condition": {"Null": {"aws:ResourceTag/${DRILL_TAG}": "false"}} (a restore drill's scratch volumes).`,
      );
    }
    if (grants(statement, "rds:DeleteDBInstance")) {
      const resources = stringsOf(statement.Resource);
      const scoped =
        statement.NotResource === undefined &&
        resources.length > 0 &&
        resources.every((r) => r.includes(`:db:${DRILL_INSTANCE_PREFIX}`));
      if (!scoped || !requiresDrillTag(statement, INSTANCE_KEYS)) {
        problems.push(
          `Statement ${name} lets the role delete DB instances other than a drill's: allow ` +
            `rds:DeleteDBInstance only on arn:aws:rds:<region>:<account>:db:${DRILL_INSTANCE_PREFIX}* with ` +
            `"Condition": {"Null": {"aws:ResourceTag/${DRILL_TAG}": "false"}}.`,
        );
      }
    }
    return problems;
  });
}

export const drillDeletesScoped: ResourceValidationPolicy = {
  name: "drill-deletes-scoped",
  description:
    "IAM policies delete EBS volumes and RDS DB instances only when they are a restore drill's " +
    `(tagged ${DRILL_TAG}; instances named ${DRILL_INSTANCE_PREFIX}*).`,
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.iam.RolePolicy, (policy, _args, reportViolation) => {
      for (const problem of unscopedDeletes(unproxy(policy).policy)) reportViolation(problem);
    }),
    validateResourceOfType(aws.iam.Policy, (policy, _args, reportViolation) => {
      for (const problem of unscopedDeletes(unproxy(policy).policy)) reportViolation(problem);
    }),
    validateResourceOfType(aws.iam.Role, (role, _args, reportViolation) => {
      for (const inline of listOf(unproxy(role).inlinePolicies)) {
        if (!isRecord(inline)) continue;
        for (const problem of unscopedDeletes(inline.policy)) reportViolation(problem);
      }
    }),
  ],
};
