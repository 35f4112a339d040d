import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, TypedResourceValidation, validateResourceOfType } from "@pulumi/policy";
import { isRecord, isUnknownValue, unproxy } from "./lib/values";

/** What both aws.lb.Listener and its legacy alias aws.alb.Listener carry that matters here. */
interface ListenerProps {
  protocol?: string;
  port?: number;
  certificateArn?: string;
  defaultActions?: unknown;
}

const FIX =
  'Serve HTTPS: protocol: "HTTPS", port: 443, certificateArn: <ACM certificate>, and turn the HTTP listener into ' +
  'a redirect: defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }].';

/** An HTTP listener whose every default action sends the client to HTTPS serves nothing in clear text. */
function onlyRedirectsToHttps(actions: unknown): boolean {
  return (
    Array.isArray(actions) &&
    actions.length > 0 &&
    actions.every(
      (action) =>
        isRecord(action) &&
        action.type === "redirect" &&
        isRecord(action.redirect) &&
        action.redirect.protocol === "HTTPS",
    )
  );
}

const validateListener: TypedResourceValidation<ListenerProps> = (listener, _args, reportViolation) => {
  const raw = unproxy(listener);
  // An ALB listener without a protocol is HTTP.
  const protocol: unknown = raw.protocol ?? "HTTP";
  if (isUnknownValue(protocol) || isUnknownValue(raw.defaultActions)) {
    // Chosen from config in the same preview: `pulumi up` checks the resolved listener.
    return;
  }
  if (protocol === "HTTPS" && (raw.certificateArn === undefined || raw.certificateArn === "")) {
    reportViolation(`The HTTPS listener has no certificateArn. ${FIX}`);
  } else if (protocol === "HTTP" && !onlyRedirectsToHttps(raw.defaultActions)) {
    reportViolation(
      `The listener on port ${String(raw.port ?? 80)} serves plain HTTP, so the API token travels in clear ` +
        `text. ${FIX}`,
    );
  }
};

export const albListenerHttps: ResourceValidationPolicy = {
  name: "alb-listener-https",
  description:
    "Load balancer listeners serve HTTPS; an HTTP listener may only redirect to HTTPS. Mandatory by default; " +
    'a stack\'s policy config may set it to "advisory" (dev) — see policy/config.dev.json.',
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.lb.Listener, validateListener),
    validateResourceOfType(aws.alb.Listener, validateListener),
  ],
};
