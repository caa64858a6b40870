import { describe, expect, it } from "vitest";
import { formatProblem, type InputError } from "../../src/core/errors.js";
import { ProblemList } from "../../src/input/problem-list.js";

describe("input problems on a terminal", () => {
  it("escapes control characters and bidirectional overrides that came from the input", () => {
    expect(
      formatProblem({
        file: "in\x1b[31m.jsonl",
        line: 2,
        message: 'bad "\x1b[2J\x1b]0;title\x07\r\n\t\0\x7f\x9b\u202e"',
      }),
    ).toBe('in\\x1b[31m.jsonl:2: bad "\\x1b[2J\\x1b]0;title\\x07\\r\\n\\t\\x00\\x7f\\x9b\\u202e"');
  });

  it("leaves ordinary text, accents and emoji as they are", () => {
    expect(formatProblem({ file: "in.csv", message: "José — 日本語 🙂" })).toBe("in.csv: José — 日本語 🙂");
  });

  it("keeps one line per problem in the error the CLI prints", () => {
    const problems = new ProblemList();
    problems.add({ file: "in.jsonl", line: 1, message: "first\nmetasync: fake" });
    problems.add({ file: "in.jsonl", line: 2, message: "second" });
    let error: InputError | undefined;
    try {
      problems.throwIfAny();
    } catch (thrown) {
      error = thrown as InputError;
    }
    expect(error?.message.split("\n")).toEqual(["in.jsonl:1: first\\nmetasync: fake", "in.jsonl:2: second"]);
  });
});
