import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isUnknownValue, numberOr, stringList, unproxy } from "./lib/values";

interface LambdaSupportedRuntimeConfig {
  minimumNodejsVersion?: number;
  allowedOtherRuntimes?: string[];
}

const DEFAULT_MINIMUM_NODEJS_VERSION = 20;

export const lambdaSupportedRuntime: ResourceValidationPolicy = {
  name: "lambda-supported-runtime",
  description:
    "Lambda functions run on a supported runtime: Node.js at or above the configured major version " +
    "(deprecated runtimes stop receiving security patches and later block updates).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumNodejsVersion: {
        type: "integer",
        minimum: 18,
        description: "Lowest nodejsNN.x major version allowed.",
        default: DEFAULT_MINIMUM_NODEJS_VERSION,
      },
      allowedOtherRuntimes: {
        type: "array",
        items: { type: "string" },
        description: "Non-Node.js runtimes allowed as well (e.g. python3.13).",
        default: [],
      },
    },
  },
  validateResource: validateResourceOfType(aws.lambda.Function, (fn, args, reportViolation) => {
    const config = args.getConfig<LambdaSupportedRuntimeConfig>();
    const minimum = numberOr(config.minimumNodejsVersion, DEFAULT_MINIMUM_NODEJS_VERSION);
    const others = stringList(config.allowedOtherRuntimes, []);
    const raw = unproxy(fn);
    const runtime: unknown = raw.runtime;
    // Container-image functions carry their runtime in the image.
    if (raw.packageType === "Image" || isUnknownValue(runtime)) {
      return;
    }
    const allowedText = `nodejs${minimum}.x or later${others.length > 0 ? ` or ${others.join(", ")}` : ""}`;
    if (typeof runtime !== "string" || runtime === "") {
      reportViolation(`Set runtime explicitly (${allowedText}) instead of relying on a default.`);
      return;
    }
    // No runtime Lambda accepts holds "nodejsNN.x" other than as the whole identifier
    // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html): either anchor alone reads
    // every real runtime the same.
    // Stryker disable next-line Regex: see above (equivalent)
    const node = /^nodejs(\d+)\.x$/.exec(runtime);
    const nodeMajor = node ? Number(node[1]) : undefined;
    if (nodeMajor !== undefined ? nodeMajor < minimum : !others.includes(runtime)) {
      reportViolation(
        `Runtime ${runtime} is not allowed: use ${allowedText} (e.g. runtime: aws.lambda.Runtime.NodeJS22dX).`,
      );
    }
  }),
};
