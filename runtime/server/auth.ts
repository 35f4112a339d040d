/**
 * Bearer-token check for /api/*. Both sides are hashed to equal-length digests before
 * timingSafeEqual, so neither the token's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ConfigError } from "../contract/errors";
import { registerSecret } from "../logging/redact";
import { errorBody } from "./errors";

/** Shorter tokens are guessable; the README tells how to generate one. */
export const MIN_TOKEN_LENGTH = 16;

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function digest(value: string): Buffer {
  // A string is hashed as UTF-8 when no encoding is given (Node's crypto docs, hash.update).
  return createHash("sha256").update(value).digest();
}

/** The token from an `Authorization: Bearer …` header, or undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  // Stryker disable next-line StringLiteral: any stand-in without the "Bearer " prefix, like "", matches nothing
  return BEARER.exec(header ?? "")?.[1];
}

/** A constant-time comparator for one expected token. */
export function tokenVerifier(apiToken: string): (presented: string | undefined) => boolean {
  if (apiToken.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `the API token (API_TOKEN or API_TOKEN_SECRET_ARN) must be at least ${MIN_TOKEN_LENGTH} characters; ` +
        "generate one with `openssl rand -hex 32`",
    );
  }
  registerSecret(apiToken);
  const expected = digest(apiToken);
  return (presented) => {
    // Always hash and compare, even without a token, so a missing header costs the same.
    // Stryker disable next-line StringLiteral: without a token the comparison's result is discarded below
    const matches = timingSafeEqual(expected, digest(presented ?? ""));
    return (
      matches &&
      // Stryker disable next-line ConditionalExpression: a second guard; "" (no token) never matches a token of 16+ characters
      presented !== undefined
    );
  };
}

/** onRequest hook for every non-public route: 401 JSON unless the bearer token matches. */
export function requireBearer(apiToken: string) {
  const verify = tokenVerifier(apiToken);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerToken(request.headers.authorization);
    if (verify(presented)) return;
    request.log.warn(
      { reason: presented === undefined ? "missing" : "mismatch" },
      "rejected request without a valid bearer token",
    );
    await reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="drox-backup"')
      .send(
        errorBody(
          "UNAUTHORIZED",
          presented === undefined
            ? "send Authorization: Bearer <API token>"
            : "the bearer token does not match the service's API token",
        ),
      );
  };
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served without a bearer token (GET /health). */
    public?: boolean;
  }
}
