import { describe, expect, it } from "vitest";
import type { EvalTest } from "../../src/eval/config/types.js";
import { planRows } from "../../src/eval/eval-plan.js";
import { PackedList } from "../../src/eval/packed-list.js";

const shared = [{ type: "contains", value: "x" }];

function tests(count: number): EvalTest[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    description: `Row #${index + 1}`,
    vars: {
      text: `t${index}`,
      n: index,
      list: [1, "two", null],
      nested: { deep: [{ ok: true }] },
      none: undefined,
    },
    assert: shared,
    ...(index % 3 === 0 ? { threshold: 0 } : {}),
    ...(index % 5 === 0 ? { metadata: { tags: ["a"] }, options: { provider: { id: "mock:echo" } } } : {}),
  }));
}

describe("tests packed off the heap (PackedList)", () => {
  it("gives back each test as it was, across chunk boundaries and in any order", () => {
    const original = tests(2_500);
    const packed = PackedList.of(original);
    expect(packed.length).toBe(2_500);
    for (const index of [0, 1, 1_023, 1_024, 2_047, 2_048, 2_499, 7, 1_500, 3]) {
      expect(packed.at(index)).toEqual(original[index]);
    }
    expect(Object.keys(packed.at(0)?.vars ?? {})).toEqual(["text", "n", "list", "nested", "none"]);
    expect(packed.at(2_500)).toBeUndefined();
    expect(packed.at(-1)).toBeUndefined();
  });

  it("gives the same object for a test while its chunk is unpacked (rows of a test follow one another)", () => {
    const packed = PackedList.of(tests(10));
    expect(packed.at(4)).toBe(packed.at(4));
    expect(packed.at(4)?.assert).toBe(packed.at(5)?.assert);
  });

  it("plans the same rows as the tests it packs, filters included", () => {
    const config = {
      prompts: [{ id: "p", label: "p", raw: "{{ text }}" }],
      providers: [
        { id: "mock:echo", label: "mock:echo", model: { provider: "mock", model: "echo" }, params: {} },
      ],
      tests: tests(1_100),
    };
    const packed = { ...config, tests: PackedList.builder<EvalTest>() };
    for (const test of config.tests) packed.tests.add(test);
    const plans = [{}, { pattern: /#1\d\d$/ }, { firstN: 1_050 }, { pattern: /7/, firstN: 30 }].map(
      (filters) => [
        planRows(config, 2, filters),
        planRows({ ...config, tests: packed.tests.finish() }, 2, filters),
      ],
    );
    for (const [plain, fromPacked] of plans) expect([...(fromPacked ?? [])]).toEqual([...(plain ?? [])]);
  });
});
