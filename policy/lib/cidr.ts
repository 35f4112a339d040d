/**
 * Whether address ranges admit the whole internet. AWS calls ingress "unrestricted" when it admits
 * 0.0.0.0/0 or ::/0 (Security Hub EC2.18, https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-18),
 * but the same addresses can be spelled many ways the API accepts: `::0/0`, `0:0:0:0:0:0:0:0/0`,
 * `10.0.0.0/0` (host bits are ignored under a /0), or a world split into `0.0.0.0/1` +
 * `128.0.0.0/1`. This judges the addresses, not the spelling, with ipaddr.js parsing both families.
 */
import ipaddr from "ipaddr.js";

interface Span {
  readonly family: "ipv4" | "ipv6";
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
}

const BITS = { ipv4: 32, ipv6: 128 } as const;

function spanOf(cidr: string): Span | undefined {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr.trim());
  } catch {
    return undefined;
  }
  const [address, prefix] = parsed;
  const family = address.kind();
  const value = address.toByteArray().reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  const size = 1n << BigInt(BITS[family] - prefix);
  const start = value - (value % size);
  return { family, start, end: start + size };
}

/** True when the ranges, taken together, admit every IPv4 address or every IPv6 address. */
export function admitsTheWorld(cidrs: readonly unknown[]): boolean {
  // Stryker disable next-line ConditionalExpression,ArrayDeclaration: a non-string fails to parse in spanOf too (equivalent)
  const spans = cidrs.flatMap((cidr) => (typeof cidr === "string" ? [spanOf(cidr)] : []));
  return (["ipv4", "ipv6"] as const).some((family) => {
    const ofFamily = spans.filter((span): span is Span => span?.family === family);
    // Only "a before b" matters to the sort (ties and "after" both keep the pair usable), and the
    // order of equal starts cannot change the covered end: these mutants are equivalent.
    // Stryker disable next-line EqualityOperator,ConditionalExpression: see above
    const sorted = ofFamily.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let covered = 0n;
    for (const span of sorted) {
      if (span.start > covered) return false;
      // Stryker disable next-line EqualityOperator: assigning an equal end changes nothing (equivalent)
      if (span.end > covered) covered = span.end;
    }
    return covered === 1n << BigInt(BITS[family]);
  });
}
