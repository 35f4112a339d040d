/**
 * Every role the stack creates holds only what its user calls: the ECS task and execution roles,
 * the scheduler's role, the Lambdas' roles, Chatbot's role and any other aws:iam/role:Role. A
 * role must not carry an AWS-managed `*FullAccess`, `AdministratorAccess` or `PowerUserAccess`
 * policy, nor a statement allowing `"Action": "*"`, `<service>:*` on `"Resource": "*"`, or
 * everything but a few actions (`NotAction` on `*`), whether inline (the role's inlinePolicies, a
 * RolePolicy) or attached (managedPolicyArns, a RolePolicyAttachment or a PolicyAttachment, a
 * customer Policy by its ARN). A Chatbot channel's guardrailPolicyArns are not grants: they are
 * "applied as channel guardrails", a limit on what channel members may run through the channel's
 * role (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/chatbot/aws.sdk.kotlin.services.chatbot.model/-teams-channel-configuration/guardrail-policy-arns.html),
 * so they are not judged here (chatbot-guardrails judges them).
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofType, refersTo, valueNames } from "./lib/references";
import { documentOf, listOf, stringsOf } from "./lib/documents";
import { isRecord, unproxy } from "./lib/values";

interface IamRoleLeastPrivilegeConfig {
  forbiddenManagedPolicyPattern?: string;
}

const DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN = "(?:FullAccess|/AdministratorAccess|/PowerUserAccess)$";

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
/**
 * How a document grants everything, or everything of a service, as one phrase per statement. A
 * document unknown at preview (it embeds ARNs of resources not yet created) yields none;
 * `pulumi up` checks it again once resolved.
 */
function broadGrants(document: unknown): string[] {
  const doc = documentOf(document);
  if (!doc) return [];
  return listOf(doc.Statement).flatMap((statement) => {
    if (!isRecord(statement) || statement.Effect !== "Allow") return [];
    const actions = stringsOf(statement.Action);
    const onAnything = listOf(statement.Resource).includes("*");
    if (actions.some((a) => a === "*" || a === "*:*")) return ['"Action": "*"'];
    const services = actions.filter((a) => /^[a-z0-9-]+:\*$/i.test(a));
    if (onAnything && services.length > 0) return services.map((s) => `"${s}" on "Resource": "*"`);
    if (onAnything && statement.NotAction !== undefined) return ['"NotAction" on "Resource": "*"'];
    return [];
  });
}

/** What uses a role, and what to grant instead of a broad policy. */
interface RoleUse {
  readonly user: string;
  readonly fix: string;
}

const SCOPED_FIX = "grant the specific actions on the specific resources";
const USES: readonly {
  readonly type: string;
  readonly keys: readonly string[];
  readonly describe: (name: string, key: string) => string;
  readonly fix: string;
}[] = [
  {
    type: "aws:lambda/function:Function",
    keys: ["role"],
    describe: (name) => `Lambda "${name}"`,
    fix:
      `${SCOPED_FIX} the function uses (e.g. sns:Publish on the topic, secretsmanager:GetSecretValue on ` +
      "its secrets)",
  },
  {
    type: "aws:ecs/taskDefinition:TaskDefinition",
    keys: ["taskRoleArn", "executionRoleArn"],
    describe: (name, key) =>
      `ECS task definition "${name}" (${key === "taskRoleArn" ? "task" : "execution"} role)`,
    fix:
      `${SCOPED_FIX} the task's code calls (e.g. s3:GetObject on the source buckets' objects); for an ` +
      "execution role, ecr:GetAuthorizationToken, the image pull on its repository, logs on its log group " +
      "and secretsmanager:GetSecretValue on the injected secrets",
  },
  {
    type: "aws:scheduler/schedule:Schedule",
    keys: ["target"],
    describe: (name) => `schedule "${name}"`,
    fix:
      "grant ecs:RunTask on the task family (with an ecs:cluster condition), iam:PassRole on the task's " +
      "roles (iam:PassedToService ecs-tasks.amazonaws.com) and sqs:SendMessage on the dead-letter queue",
  },
  {
    type: "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
    keys: ["iamRoleArn"],
    describe: (name) => `Chatbot channel "${name}"`,
    fix:
      "attach a read-only policy such as arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess; what channel " +
      "members may run is limited by guardrailPolicyArns",
  },
];

/** Whether `from` uses `role` under `key` (a schedule names it inside `target.roleArn`). */
function uses(from: PolicyResource, key: string, role: PolicyResource): boolean {
  if (key !== "target") return refersTo(from, key, role);
  if (from.propertyDependencies.target?.some((dep) => dep.urn === role.urn)) return true;
  const target = unproxy(props(from).target);
  return isRecord(target) && valueNames(target.roleArn, role);
}

/** The services a role's trust policy lets assume it, for a role nothing in the stack uses. */
function trustedServices(role: PolicyResource): string[] {
  const doc = documentOf(props(role).assumeRolePolicy);
  return listOf(doc?.Statement).flatMap((statement) => {
    const principal = isRecord(statement) ? unproxy(statement.Principal) : undefined;
    return isRecord(principal) ? stringsOf(principal.Service) : [];
  });
}

function roleUse(resources: PolicyResource[], role: PolicyResource): RoleUse {
  for (const use of USES) {
    const users = ofType(resources, use.type).flatMap((r) =>
      use.keys.filter((key) => uses(r, key, role)).map((key) => use.describe(r.name, key)),
    );
    if (users.length > 0) return { user: `of ${users.join(", ")}`, fix: use.fix };
  }
  const services = trustedServices(role);
  return {
    user: services.length > 0 ? `(assumed by ${services.join(", ")})` : "(used by nothing in the stack)",
    fix: `${SCOPED_FIX} the role's user calls`,
  };
}

export const iamRoleLeastPrivilege: StackValidationPolicy = {
  name: "iam-role-least-privilege",
  description:
    "No role of the stack (ECS task and execution, scheduler, Lambda, Chatbot, any other) has an AWS-managed " +
    '*FullAccess, AdministratorAccess or PowerUserAccess policy, or a statement allowing "Action": "*" or ' +
    '<service>:* on "Resource": "*": each role gets only the actions its user calls. Chatbot guardrails are ' +
    "limits, not grants.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      forbiddenManagedPolicyPattern: {
        type: "string",
        description: "Regular expression on attached policy ARNs that are too broad for any role.",
        default: DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN,
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<IamRoleLeastPrivilegeConfig>();
    const forbidden = new RegExp(
      config.forbiddenManagedPolicyPattern ?? DEFAULT_FORBIDDEN_MANAGED_POLICY_PATTERN,
    );
    const customerPolicies = ofType(args.resources, "aws:iam/policy:Policy");
    const attachments = ofType(args.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    const sharedAttachments = ofType(args.resources, "aws:iam/policyAttachment:PolicyAttachment");
    const rolePolicies = ofType(args.resources, "aws:iam/rolePolicy:RolePolicy");

    for (const role of ofType(args.resources, "aws:iam/role:Role")) {
      const { user, fix } = roleUse(args.resources, role);
      const reported = new Set<string>();
      const report = (problem: string, instead: string): void => {
        if (!reported.has(problem)) {
          reported.add(problem);
          reportViolation(`Role "${role.name}" ${user} ${problem}. ${instead}`, role.urn);
        }
      };
      const listActions = `List the actions instead: ${fix}.`;
      const r = props(role);
      const attachedArns = [
        ...listOf(r.managedPolicyArns),
        ...attachments.filter((a) => refersTo(a, "role", role)).map((a) => props(a).policyArn),
        ...sharedAttachments.filter((a) => refersTo(a, "roles", role)).map((a) => props(a).policyArn),
      ];
      for (const arn of attachedArns) {
        if (typeof arn === "string" && forbidden.test(arn)) {
          report(`has the managed policy ${arn} attached`, `Detach it and ${fix}.`);
        }
        const customer = customerPolicies.find((p) => valueNames(arn, p));
        if (customer) {
          for (const grant of broadGrants(props(customer).policy)) {
            report(`has policy "${customer.name}" attached, which allows ${grant}`, listActions);
          }
        }
      }
      const inlineDocuments = [
        ...listOf(r.inlinePolicies).map((p) => (isRecord(p) ? p.policy : undefined)),
        ...rolePolicies.filter((p) => refersTo(p, "role", role)).map((p) => props(p).policy),
      ];
      for (const grant of inlineDocuments.flatMap(broadGrants)) {
        report(`has an inline policy that allows ${grant}`, listActions);
      }
    }
  },
};
