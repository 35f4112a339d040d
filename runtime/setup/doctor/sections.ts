/** The doctor's sections, in the order it runs them; apart so the CLI can list them without loading the checks. */
export const SECTIONS = ["slack", "notion", "aws"] as const;
export type Section = (typeof SECTIONS)[number];
