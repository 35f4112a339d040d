/** Prints analyzer diagnostics the way `pulumi preview` lists them under "Policies:". */
import type { Diagnostic, PackInfo } from "./policy-analyzer";

/** `aws:lb/listener:Listener: drox-backup-http` from a URN, as the CLI labels a resource. */
export function resourceLabel(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2]?.split("$").pop();
  const name = parts[3];
  return type && name ? `${type}: ${name}` : urn;
}

const ORDER: Record<string, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };

export function formatPolicies(pack: PackInfo, diagnostics: Diagnostic[], source = "local: policy"): string {
  const mandatory = diagnostics.filter((d) => d.enforcementLevel === "mandatory").length;
  const marker = mandatory > 0 ? "❌" : diagnostics.length > 0 ? "⚠️" : "✅";
  const lines = ["Policies:", `    ${marker} ${pack.name}@v${pack.version} (${source})`];
  const sorted = [...diagnostics].sort(
    (a, b) =>
      (ORDER[a.enforcementLevel] ?? 9) - (ORDER[b.enforcementLevel] ?? 9) ||
      a.policyName.localeCompare(b.policyName) ||
      a.urn.localeCompare(b.urn),
  );
  for (const d of sorted) {
    const where = d.urn ? `  (${resourceLabel(d.urn)})` : "";
    lines.push(`        - [${d.enforcementLevel}]  ${d.policyName}${where}`);
    for (const line of d.message.split("\n")) {
      lines.push(`          ${line}`);
    }
  }
  return lines.join("\n");
}

export function summary(diagnostics: Diagnostic[]): { mandatory: number; advisory: number } {
  return {
    mandatory: diagnostics.filter((d) => d.enforcementLevel === "mandatory").length,
    advisory: diagnostics.filter((d) => d.enforcementLevel === "advisory").length,
  };
}
