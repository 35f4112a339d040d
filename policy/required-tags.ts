import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { isRecord, isUnknownValue, stringList, unproxy } from "./lib/values";

interface RequiredTagsConfig {
  requiredTags?: string[];
  exemptTypes?: string[];
}

const DEFAULT_REQUIRED_TAGS = ["project", "environment", "owner"];

// Read, not imported: the Pulumi CLI compiles the pack without resolveJsonModule.
const TAGGABLE_TYPES: ReadonlySet<string> = new Set(
  JSON.parse(readFileSync(path.join(__dirname, "lib", "taggable-types.json"), "utf8")) as string[],
);

/** The provider's default tags, given as an object or (stack config `aws:defaultTags`) as JSON text. */
function providerDefaultTags(args: ResourceValidationArgs): Record<string, unknown> {
  let defaultTags: unknown = args.provider ? unproxy(args.provider.props).defaultTags : undefined;
  if (typeof defaultTags === "string") {
    try {
      defaultTags = JSON.parse(defaultTags);
    } catch {
      // Not JSON: kept as a string, which holds no tags below.
    }
  }
  return isRecord(defaultTags) && isRecord(defaultTags.tags) ? defaultTags.tags : {};
}

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description:
    "Every taggable AWS resource carries the tags project, environment and owner (its own tags or the " +
    "provider's defaultTags), so costs and alerts can be traced to a team.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requiredTags: {
        type: "array",
        items: { type: "string" },
        description: "Tag keys every taggable resource must have, with a non-empty value.",
        default: DEFAULT_REQUIRED_TAGS,
      },
      exemptTypes: {
        type: "array",
        items: { type: "string" },
        description: "Resource type tokens not to check (e.g. aws:ec2/vpc:Vpc).",
        default: [],
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const config = args.getConfig<RequiredTagsConfig>();
    const props = unproxy(args.props);
    // Taggable: the provider computes tagsAll for the type, or the resource was given tags.
    const taggable = TAGGABLE_TYPES.has(args.type) || (args.type.startsWith("aws:") && "tags" in props);
    // Stryker disable next-line ArrayDeclaration: no resource type is named like the mutant's filler.
    if (!taggable || stringList(config.exemptTypes, []).includes(args.type)) {
      return;
    }
    const own: unknown = props.tags;
    const computed: unknown = props.tagsAll;
    if (isUnknownValue(own) || isUnknownValue(computed)) {
      // Tags computed in the same preview: `pulumi up` checks the resolved map.
      return;
    }
    const tags = {
      ...providerDefaultTags(args),
      ...(isRecord(computed) ? computed : {}),
      ...(isRecord(own) ? own : {}),
    };
    const missing = stringList(config.requiredTags, DEFAULT_REQUIRED_TAGS).filter((key) => {
      const value = tags[key];
      return !(typeof value === "string" && value !== "") && !isUnknownValue(value);
    });
    if (missing.length > 0) {
      reportViolation(
        `Missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}. Set them once for the stack with ` +
          "the provider's default tags (`pulumi config set --path aws:defaultTags.tags.owner <team>`, or " +
          "defaultTags on an explicit aws.Provider), or in this resource's tags.",
      );
    }
  },
};
