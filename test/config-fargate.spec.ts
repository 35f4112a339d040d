import assert from "node:assert/strict";
import { parseSettings } from "../config";
import { ConfigError } from "../runtime/contract/errors";

// The pairs come from AWS's table of Fargate task sizes, not from the code under test:
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
const base: Record<string, string> = {
  notionDatabaseId: "0123456789abcdef0123456789abcdef",
  allowHttp: "true",
};

function problems(cpu: string | undefined, memory: string | undefined): string[] {
  const values: Record<string, string> = { ...base };
  if (cpu !== undefined) values.taskCpu = cpu;
  if (memory !== undefined) values.taskMemory = memory;
  try {
    parseSettings((key) => values[key], "dev");
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split("\n- ").slice(1);
  }
}

describe("config: Fargate task size checked at preview", () => {
  it("must accept every CPU with the smallest and largest memory Fargate allows for it", () => {
    for (const [cpu, memory] of [
      [256, 512],
      [256, 1024],
      [256, 2048],
      [512, 1024],
      [512, 4096],
      [1024, 2048],
      [1024, 8192],
      [2048, 4096],
      [2048, 16384],
      [4096, 8192],
      [4096, 30720],
      [8192, 16384],
      [8192, 61440],
      [16384, 32768],
      [16384, 122880],
    ]) {
      assert.deepEqual(problems(String(cpu), String(memory)), [], `${cpu}/${memory}`);
    }
  });

  it("must refuse memory outside the CPU's range or off its step, naming both keys and the valid values", () => {
    for (const [cpu, memory] of [
      [256, 1536],
      [256, 4096],
      [512, 512],
      [1024, 9216],
      [4096, 31744],
      [8192, 18432],
      [16384, 36864],
    ]) {
      const found = problems(String(cpu), String(memory));
      assert.equal(found.length, 1, `${cpu}/${memory}: ${found.join(" | ")}`);
      assert.match(found[0]!, new RegExp(`^taskMemory: ${memory} MiB does not fit taskCpu ${cpu}: `));
    }
    assert.deepEqual(problems("256", "4096"), [
      "taskMemory: 4096 MiB does not fit taskCpu 256: Fargate runs 256 CPU units with 512, 1024 or 2048 MiB (pulumi config set taskMemory 512, or change taskCpu)",
    ]);
    assert.deepEqual(problems("8192", "18432"), [
      "taskMemory: 18432 MiB does not fit taskCpu 8192: Fargate runs 8192 CPU units with 16384 to 61440 in steps of 4096 MiB (pulumi config set taskMemory 16384, or change taskCpu)",
    ]);
  });

  it("must check the default memory against a larger CPU", () => {
    assert.deepEqual(problems("2048", undefined), [
      "taskMemory: 1024 MiB does not fit taskCpu 2048: Fargate runs 2048 CPU units with 4096 to 16384 in steps of 1024 MiB (pulumi config set taskMemory 4096, or change taskCpu)",
    ]);
    assert.deepEqual(problems(undefined, undefined), [], "the defaults (512 / 1024) fit");
  });

  it("must not add a size problem to a CPU value Fargate does not offer", () => {
    assert.deepEqual(problems("300", "1024"), [
      "taskCpu: must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384",
    ]);
  });
});
