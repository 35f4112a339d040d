/**
 * Memoises an async factory for the life of the process (a Lambda cold start, the service's task):
 * clients and the secrets they need are built once. A failed build is not cached, so the next call
 * tries again (a secret read that timed out, a setting fixed since).
 */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
