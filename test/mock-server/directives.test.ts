import { describe, expect, it } from "vitest";
import { AttemptCounter, readDirectives } from "../../src/mock-server/directives.js";

describe("readDirectives", () => {
  it.each([
    ["[[fault:500]]", { kind: 500, times: undefined }],
    ["a [[fault:529x3]] b", { kind: 529, times: 3 }],
    ["[[fault:content_filter]]", { kind: "content_filter", times: undefined }],
    ["[[fault:hang]]", { kind: "hang", times: undefined }],
    ["[[fault:resetx1]]", { kind: "reset", times: 1 }],
    ["[[fault:too_large]]", { kind: "too_large", times: undefined }],
  ])("reads %s", (prompt, fault) => {
    expect(readDirectives(prompt).fault).toEqual(fault);
  });

  it.each(["plain prompt", "[[fault:200]]", "[[fault:600]]", "[[fault:explode]]", "[fault:500]"])(
    "finds no fault in %s",
    (prompt) => {
      expect(readDirectives(prompt).fault).toBeUndefined();
    },
  );

  it("reads a latency", () => {
    expect(readDirectives("slow [[latency:250]]").latencyMs).toBe(250);
    expect(readDirectives("fast").latencyMs).toBeUndefined();
  });
});

describe("AttemptCounter", () => {
  it("strikes the first N attempts of each prompt apart, and every attempt without a count", () => {
    const counter = new AttemptCounter();
    const twice = { kind: 500, times: 2 } as const;
    expect([1, 2, 3].map(() => counter.strikes(twice, "a"))).toEqual([true, true, false]);
    expect(counter.strikes(twice, "b")).toBe(true);
    expect(counter.strikes({ kind: 500, times: undefined }, "a")).toBe(true);
  });
});
