import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofType, refersTo, valueNames } from "./lib/references";
import { isRecord, unproxy } from "./lib/values";

interface LambdaRoleLeastPrivilegeConfig {
  forbiddenManagedPolicyPattern?: string;
}

const DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN = "(?:FullAccess|/AdministratorAccess)$";

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/**
 * Statements that allow every action. A document still unknown at preview (it embeds ARNs of
 * resources not yet created) yields none; `pulumi up` checks it again once resolved.
 */
function allowsEveryAction(document: unknown): boolean {
  let doc: unknown = unproxy(document);
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return false;
    }
  }
  if (!isRecord(doc)) {
    return false;
  }
  return list(doc.Statement).some(
    (statement) =>
      isRecord(statement) &&
      statement.Effect === "Allow" &&
      list(statement.Action).some((action) => action === "*" || action === "*:*"),
  );
}

export const lambdaRoleLeastPrivilege: StackValidationPolicy = {
  name: "lambda-role-least-privilege",
  description:
    'A Lambda\'s role has no AWS-managed *FullAccess (or AdministratorAccess) policy and no "Action": "*" ' +
    "statement: each function gets only the actions it calls.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      forbiddenManagedPolicyPattern: {
        type: "string",
        description: "Regular expression on attached policy ARNs that are too broad for a function.",
        default: DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN,
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<LambdaRoleLeastPrivilegeConfig>();
    const forbidden = new RegExp(
      config.forbiddenManagedPolicyPattern ?? DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN,
    );
    const roles = ofType(args.resources, "aws:iam/role:Role");
    const customerPolicies = ofType(args.resources, "aws:iam/policy:Policy");
    const attachments = ofType(args.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    const sharedAttachments = ofType(args.resources, "aws:iam/policyAttachment:PolicyAttachment");
    const rolePolicies = ofType(args.resources, "aws:iam/rolePolicy:RolePolicy");
    const reported = new Set<string>();

    for (const fn of ofType(args.resources, "aws:lambda/function:Function")) {
      for (const role of roles.filter((r) => refersTo(fn, "role", r))) {
        const report = (problem: string, fix: string): void => {
          const key = `${role.urn}|${problem}`;
          if (!reported.has(key)) {
            reported.add(key);
            reportViolation(`Role "${role.name}" of Lambda "${fn.name}" ${problem}. ${fix}`, role.urn);
          }
        };
        const r = props(role);
        const attachedArns = [
          ...list(r.managedPolicyArns),
          ...attachments.filter((a) => refersTo(a, "role", role)).map((a) => props(a).policyArn),
          ...sharedAttachments.filter((a) => refersTo(a, "roles", role)).map((a) => props(a).policyArn),
        ];
        for (const arn of attachedArns) {
          if (typeof arn === "string" && forbidden.test(arn)) {
            report(
              `has the managed policy ${arn} attached`,
              "Detach it and grant the specific actions on the specific resources the function uses " +
                "(e.g. sns:Publish on the topic, secretsmanager:GetSecretValue on its secrets).",
            );
          }
          const customer = customerPolicies.find((p) => valueNames(arn, p));
          if (customer && allowsEveryAction(props(customer).policy)) {
            report(
              `has policy "${customer.name}" attached, which allows "Action": "*"`,
              "List the actions the function calls instead of *.",
            );
          }
        }
        const inlineDocuments = [
          ...list(r.inlinePolicies).map((p) => (isRecord(p) ? p.policy : undefined)),
          ...rolePolicies.filter((p) => refersTo(p, "role", role)).map((p) => props(p).policy),
        ];
        if (inlineDocuments.some(allowsEveryAction)) {
          report(
            'has an inline policy that allows "Action": "*"',
            "List the actions the function calls instead of *.",
          );
        }
      }
    }
  },
};
