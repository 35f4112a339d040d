import assert from "node:assert/strict";
import { ConfigError } from "../runtime/contract/errors";
import { DEFAULT_RATE_LIMIT } from "../runtime/server/app";
import { readServiceSettings } from "../runtime/server/wiring";

describe("server: service settings from the environment", () => {
  it("must apply the defaults", () => {
    assert.deepEqual(readServiceSettings({}), {
      port: 8080,
      host: "0.0.0.0",
      rateLimitMax: DEFAULT_RATE_LIMIT.max,
      trustProxyHops: 0,
      shutdownGraceMs: 20_000,
    });
  });

  it("must read each setting at the bounds of its range, 0 included", () => {
    assert.deepEqual(
      readServiceSettings({
        PORT: "0",
        HOST: " 127.0.0.1 ",
        RATE_LIMIT_MAX: "1000000",
        TRUST_PROXY_HOPS: "10",
        SHUTDOWN_GRACE_SECONDS: "0",
      }),
      { port: 0, host: "127.0.0.1", rateLimitMax: 1_000_000, trustProxyHops: 10, shutdownGraceMs: 0 },
    );
    assert.equal(readServiceSettings({ PORT: "65535" }).port, 65_535);
    assert.equal(readServiceSettings({ SHUTDOWN_GRACE_SECONDS: "3600" }).shutdownGraceMs, 3_600_000);
  });

  it("must treat RATE_LIMIT_MAX=0 as the default rather than refusing every request", () => {
    assert.equal(readServiceSettings({ RATE_LIMIT_MAX: "0" }).rateLimitMax, DEFAULT_RATE_LIMIT.max);
  });

  for (const [name, value, message] of [
    ["PORT", "65536", 'PORT must be a whole number from 0 to 65535, e.g. 8080 (got "65536")'],
    ["PORT", "http", 'PORT must be a whole number from 0 to 65535, e.g. 8080 (got "http")'],
    [
      "RATE_LIMIT_MAX",
      "1000001",
      `RATE_LIMIT_MAX must be a whole number from 0 to 1000000, e.g. ${DEFAULT_RATE_LIMIT.max} (got "1000001")`,
    ],
    ["TRUST_PROXY_HOPS", "11", 'TRUST_PROXY_HOPS must be a whole number from 0 to 10, e.g. 1 (got "11")'],
    ["TRUST_PROXY_HOPS", "-1", 'TRUST_PROXY_HOPS must be a whole number from 0 to 10, e.g. 1 (got "-1")'],
    [
      "SHUTDOWN_GRACE_SECONDS",
      "2.5",
      'SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 3600, e.g. 20 (got "2.5")',
    ],
  ] as const) {
    it(`must reject ${name}=${value} with an error naming the variable, its range and the value`, () => {
      assert.throws(
        () => readServiceSettings({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message === message,
      );
    });
  }
});
