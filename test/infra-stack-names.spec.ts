/**
 * Stacks side by side in one account and region. AWS holds some names unique per account and
 * region (a KMS alias, an IAM role, a task definition family, a custom metric namespace in effect:
 * alarms count whatever lands in it), so a name the program gives explicitly and two stacks share
 * makes the second stack's `up` fail with AlreadyExists, or mixes the stacks' data. Names left to
 * Pulumi's auto-naming get a random suffix per stack
 * (https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming) and are safe.
 *
 * Under mocks an auto-named resource's name is its logical name in every stack, so this spec does
 * not compare outputs: it compares the physical-name inputs the program sets, per resource type.
 */
import assert from "node:assert/strict";
import { kmsAliasName, kmsAliasProblem, metricNamespace, metricNamespaceProblem } from "../components/naming";
import { cachedRun, type ProgramRun, type RecordedResource } from "./support/pulumi-mocks";

/**
 * Per resource type, the inputs that set a physical name AWS holds unique in an account and region
 * (or globally: S3 buckets, IAM roles). Types without one (sub-resources named by their parent,
 * keys with generated ids) list none. Prefix inputs (`namePrefix`) are absent on purpose: AWS or
 * the provider appends a unique suffix to them.
 */
const NAME_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": ["configurationName"],
  "aws:cloudwatch/logGroup:LogGroup": ["name"],
  // The filter's own name is unique per log group; the namespace it writes to is account-wide.
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": ["name", "metricTransformation.namespace"],
  // An alarm reads every datapoint of its namespace: a shared custom namespace fires both stacks.
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name", "namespace"],
  "aws:dynamodb/table:Table": ["name"],
  // Unique per VPC, and stacks on the default VPC share it.
  "aws:ec2/securityGroup:SecurityGroup": ["name"],
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": [],
  "aws:ecr/repository:Repository": ["name"],
  "aws:ecs/cluster:Cluster": ["name"],
  "aws:ecs/service:Service": ["name"],
  "aws:ecs/taskDefinition:TaskDefinition": ["family"],
  "aws:iam/role:Role": ["name"],
  "aws:iam/rolePolicy:RolePolicy": [],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [],
  "aws:kms/alias:Alias": ["name"],
  "aws:kms/key:Key": [],
  "aws:lambda/function:Function": ["name"],
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": [],
  "aws:lambda/permission:Permission": [],
  "aws:lb/listener:Listener": [],
  "aws:lb/loadBalancer:LoadBalancer": ["name"],
  "aws:lb/targetGroup:TargetGroup": ["name"],
  "aws:s3/bucket:Bucket": ["bucket"],
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [],
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": [],
  "aws:s3/bucketPolicy:BucketPolicy": [],
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": [],
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [],
  "aws:s3/bucketVersioning:BucketVersioning": [],
  "aws:scheduler/schedule:Schedule": ["name"],
  "aws:scheduler/scheduleGroup:ScheduleGroup": ["name"],
  "aws:secretsmanager/secret:Secret": ["name"],
  "aws:secretsmanager/secretVersion:SecretVersion": [],
  "aws:sns/topic:Topic": ["name"],
  "aws:sns/topicPolicy:TopicPolicy": [],
  "aws:sns/topicSubscription:TopicSubscription": [],
  "aws:sqs/queue:Queue": ["name"],
  "aws:sqs/queuePolicy:QueuePolicy": [],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [],
  // awsx: the default VPC is adopted, not created; the new VPC's and the image's children are
  // auto-named inside the remote component.
  "awsx:ec2:DefaultVpc": [],
  "awsx:ec2:Vpc": [],
  "awsx:ecr:Image": [],
};

/** Namespaces of AWS's own metrics (AWS/SQS …) are read by both stacks' alarms by design. */
const awsOwned = (value: string) => value.startsWith("AWS/");

interface GivenName {
  readonly type: string;
  readonly resource: string;
  readonly input: string;
  readonly value: string;
}

function at(value: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}

/** Every physical name a run sets explicitly, AWS-owned namespaces aside. */
function givenNames(run: ProgramRun): GivenName[] {
  return run.resources
    .filter((r: RecordedResource) => !r.type.startsWith("drox-backup:"))
    .flatMap((r) =>
      (NAME_INPUTS[r.type] ?? []).flatMap((input) => {
        const value = at(r.inputs, input);
        return typeof value === "string" && !awsOwned(value)
          ? [{ type: r.type, resource: r.name, input, value }]
          : [];
      }),
    );
}

/** Names two runs both set, per type and input (where AWS would see one resource, or one stream). */
function shared(a: ProgramRun, b: ProgramRun): string[] {
  const key = (n: GivenName) => `${n.type} ${n.input}=${n.value}`;
  const inB = new Set(givenNames(b).map(key));
  return [
    ...new Set(
      givenNames(a)
        .map(key)
        .filter((k) => inB.has(k)),
    ),
  ].sort();
}

describe("infra: stacks side by side in one account and region", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must know, for every resource type the stacks register, which inputs name it physically", () => {
    const types = [...new Set([...dev.resources, ...prod.resources].map((r) => r.type))]
      .filter((type) => !type.startsWith("drox-backup:"))
      .sort();
    assert.deepEqual(
      types.filter((type) => !(type in NAME_INPUTS)),
      [],
      "add the type to NAME_INPUTS with its physical-name inputs (or [] when it has none)",
    );
  });

  it("must give the dev and prod stacks no explicit physical name in common", () => {
    assert.deepEqual(shared(dev, prod), []);
  });

  it("must name only the alias, the metric namespace, the task family and Chatbot explicitly, each with the stack", () => {
    const names = (run: ProgramRun) =>
      givenNames(run)
        .map((n) => `${n.resource} ${n.input}=${n.value}`)
        .sort();
    assert.deepEqual(names(dev), [
      "drox-backup-failed-drills namespace=DroxBackup/dev",
      "drox-backup-failed-drills-filter metricTransformation.namespace=DroxBackup/dev",
      "drox-backup-failed-jobs namespace=DroxBackup/dev",
      "drox-backup-failed-jobs-filter metricTransformation.namespace=DroxBackup/dev",
      "drox-backup-key-alias name=alias/drox-backup-dev",
      "drox-backup-task family=drox-backup-dev",
    ]);
    assert.deepEqual(
      names(prod).filter((n) => !n.startsWith("drox-backup-chatbot ")),
      [
        "drox-backup-failed-drills namespace=DroxBackup/prod",
        "drox-backup-failed-drills-filter metricTransformation.namespace=DroxBackup/prod",
        "drox-backup-failed-jobs namespace=DroxBackup/prod",
        "drox-backup-failed-jobs-filter metricTransformation.namespace=DroxBackup/prod",
        "drox-backup-key-alias name=alias/drox-backup-prod",
        "drox-backup-task family=drox-backup-prod",
      ],
    );
    // Chatbot is optional per stack; when configured, its name carries the stack too.
    for (const n of names(prod).filter((x) => x.startsWith("drox-backup-chatbot "))) {
      assert.equal(n, "drox-backup-chatbot configurationName=drox-backup-prod");
    }
  });

  it("must report a name two stacks share (the check itself)", () => {
    // A stack against itself shares every explicit name: what two stacks with one alias would hit.
    assert.deepEqual(shared(dev, dev), [
      "aws:cloudwatch/logMetricFilter:LogMetricFilter metricTransformation.namespace=DroxBackup/dev",
      "aws:cloudwatch/metricAlarm:MetricAlarm namespace=DroxBackup/dev",
      "aws:ecs/taskDefinition:TaskDefinition family=drox-backup-dev",
      "aws:kms/alias:Alias name=alias/drox-backup-dev",
    ]);
  });

  it("must build aliases and namespaces AWS accepts from any Pulumi stack name", () => {
    // Pulumi stack names may hold periods; a KMS alias may not.
    assert.equal(kmsAliasName("drox-backup", "qa.eu_1"), "alias/drox-backup-qa-eu_1");
    assert.equal(kmsAliasProblem(kmsAliasName("drox-backup", "qa.eu_1")), undefined);
    assert.equal(metricNamespace("qa.eu_1"), "DroxBackup/qa.eu_1");
    assert.equal(metricNamespaceProblem(metricNamespace("qa.eu_1")), undefined);
    assert.equal(
      kmsAliasProblem("alias/aws/drox"),
      '"alias/aws/drox": the alias/aws/ prefix is reserved for AWS managed keys',
    );
    assert.equal(kmsAliasProblem("drox-backup"), '"drox-backup" must begin with alias/');
    assert.match(String(kmsAliasProblem(`alias/${"a".repeat(251)}`)), /at most 256 characters/);
    assert.match(String(kmsAliasProblem("alias/drox.backup")), /at most 256 characters of A-Z/);
    assert.equal(
      metricNamespaceProblem("AWS/DroxBackup"),
      '"AWS/DroxBackup": the AWS/ prefix is reserved for AWS services',
    );
    assert.match(String(metricNamespaceProblem("   ")), /must be 1-255 characters/);
    assert.match(String(metricNamespaceProblem("Drox\u00e9")), /must be 1-255 characters/);
    assert.equal(metricNamespaceProblem(`D${"x".repeat(254)}`), undefined);
    assert.match(String(metricNamespaceProblem(`D${"x".repeat(255)}`)), /must be 1-255 characters/);
  });
});
