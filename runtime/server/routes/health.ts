/** Liveness for the ALB and the image's HEALTHCHECK: no auth, no I/O, nothing secret. */
import type { FastifyInstance } from "fastify";

export function healthRoutes(app: FastifyInstance): void {
  app.get(
    "/health",
    // The ALB polls every few seconds: keep it out of the info log and the rate limit.
    { config: { public: true, rateLimit: false }, logLevel: "warn" },
    async () => ({ status: "ok" }),
  );
}
