import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type AssertionSpec, runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

const grade = (spec: AssertionSpec, output: string, extra: Parameters<typeof contextFor>[1] = {}) =>
  runAssertion(spec, contextFor(output, extra));

// promptfoo src/assertions/javascript.ts, scriptResultNormalization.ts, test/assertions/javascript.test.ts;
// docs site/docs/configuration/expected-outputs/javascript.md
describe("javascript, inline", () => {
  it("an expression returning a boolean scores 1 or 0; a failure quotes the code", async () => {
    const value = "output.includes('Hello, World!')";
    expect(await grade({ type: "javascript", value }, "Hello, World!")).toEqual({
      pass: true,
      score: 1,
      reason: "Assertion passed",
      assertion: { type: "javascript", value },
    });
    expect(await grade({ type: "javascript", value }, "Goodbye")).toMatchObject({
      pass: false,
      score: 0,
      reason: `Custom function returned false\n${value}`,
    });
    expect(await grade({ type: "not-javascript", value }, "Hello, World!")).toMatchObject({
      pass: false,
      reason: `Custom function returned true\n${value}`,
    });
    expect(await grade({ type: "not-javascript", value }, "Goodbye")).toMatchObject({ pass: true, score: 1 });
  });

  it("a number is the score: it passes above 0, or at the threshold and above (0 included)", async () => {
    expect(await grade({ type: "javascript", value: "output.length / 10" }, "12345")).toMatchObject({
      pass: true,
      score: 0.5,
    });
    expect(await grade({ type: "javascript", value: "0" }, "x")).toMatchObject({
      pass: false,
      score: 0,
      reason: "Custom function returned false\n0",
    });
    expect(await grade({ type: "javascript", value: "0", threshold: 0 }, "x")).toMatchObject({
      pass: true,
      score: 0,
    });
    const spec = { type: "javascript", value: "Math.log(output.length) * 10", threshold: 0.5 };
    expect(await grade(spec, "hello")).toMatchObject({ pass: true, score: Math.log(5) * 10 });
    expect(await grade({ type: "javascript", value: "0.4", threshold: 0.5 }, "x")).toMatchObject({
      pass: false,
      score: 0.4,
      reason: "Custom function returned false\n0.4",
    });
    // not- negates the verdict and keeps the number as the score.
    expect(await grade({ type: "not-javascript", value: "0.4", threshold: 0.5 }, "x")).toMatchObject({
      pass: true,
      score: 0.4,
    });
  });

  it("sees output and context (prompt, vars, config)", async () => {
    const ctx = { vars: { example: "Example text", min_length: 10 } };
    expect(
      await grade(
        { type: "javascript", value: "output.includes(context.vars.example)" },
        "An Example text",
        ctx,
      ),
    ).toMatchObject({ pass: true });
    expect(
      await grade({ type: "javascript", value: "output.length >= context.vars.min_length" }, "short", ctx),
    ).toMatchObject({ pass: false });
    expect(
      await grade({ type: "javascript", value: "context.prompt === 'the rendered prompt'" }, "x"),
    ).toMatchObject({
      pass: true,
    });
    const config = {
      type: "javascript",
      value: "output.length > context.config.maximumOutputSize",
      config: { maximumOutputSize: 3 },
    };
    expect(await grade(config, "abcd")).toMatchObject({ pass: true });
  });

  it("runs a multi-line body that returns, and a one-liner that declares first", async () => {
    const body =
      "if (output === 'Expected output') {\n  return { pass: true, score: 0.5, reason: 'ok' };\n}\nreturn { pass: false, score: 0, reason: 'Assertion failed' };\n";
    expect(await grade({ type: "javascript", value: body }, "Expected output")).toMatchObject({
      pass: true,
      score: 0.5,
      reason: "ok",
    });
    expect(await grade({ type: "javascript", value: body }, "other")).toMatchObject({
      pass: false,
      score: 0,
      reason: "Assertion failed",
    });
    const declared = "const s = JSON.parse(output).score; s > 0.5";
    expect(await grade({ type: "javascript", value: declared }, '{"score": 0.9}')).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "javascript", value: "const s = output; s === 'a;b'" }, "a;b")).toMatchObject({
      pass: true,
    });
  });

  it("a {pass, score, reason} result is kept as returned; not- flips pass and keeps the reason", async () => {
    const value = "({ pass: output.includes('banana'), score: 0.5, reason: 'Contains banana' })";
    expect(await grade({ type: "javascript", value }, "banana split")).toMatchObject({
      pass: true,
      score: 0.5,
      reason: "Contains banana",
      assertion: { type: "javascript", value },
    });
    expect(await grade({ type: "not-javascript", value }, "banana split")).toMatchObject({
      pass: false,
      score: 0.5,
      reason: "Contains banana",
    });
  });

  it("renders the code with the vars before running it, as promptfoo does", async () => {
    expect(
      await grade({ type: "javascript", value: "output === '{{ answer }}'" }, "42", { vars: { answer: 42 } }),
    ).toMatchObject({ pass: true });
  });

  it("a throw fails the assertion with the error and the code", async () => {
    const value = "JSON.parse(output).ok";
    const result = await grade({ type: "javascript", value }, "not json");
    expect(result).toMatchObject({ pass: false, score: 0 });
    expect(result.reason).toMatch(/^Custom function threw error: Unexpected token .*\nStack Trace: /s);
    expect(result.reason.endsWith(`\n${value}`)).toBe(true);
    expect(result.error).toBeUndefined();
  });

  it("a result of another kind cannot be evaluated", async () => {
    expect(await grade({ type: "javascript", value: "'yes'" }, "x")).toMatchObject({
      pass: false,
      error: true,
      reason:
        "Custom function must return a boolean, a finite number, or a GradingResult object with finite scores and weights. Got type string.",
    });
    expect(await grade({ type: "javascript", value: "output.length / 0" }, "x")).toMatchObject({
      error: true,
    });
    expect(await grade({ type: "javascript", value: "({ pass: true, score: 1 })" }, "x")).toMatchObject({
      error: true,
    });
  });
});

describe("javascript, from a file (file://path.js[:function])", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "metasync-assert-js-"));
    writeFileSync(
      join(dir, "length.js"),
      "module.exports = (output, context) => output.length > context.config.max;\n",
    );
    writeFileSync(
      join(dir, "named.cjs"),
      "exports.hasBanana = (output) => ({ pass: output.includes('banana'), score: 0.5, reason: 'Contains banana' });\n" +
        "exports.echoVars = (output, context) => context.vars.topic === 'fruit';\n",
    );
    writeFileSync(
      join(dir, "grade.mjs"),
      "export default async function (output) { return output.length / 10; }\n",
    );
    writeFileSync(
      join(dir, "named.mjs"),
      "export default () => false;\nexport function yes() { return true; }\n",
    );
    writeFileSync(join(dir, "throws.js"), "module.exports = (output) => JSON.parse(output).ok;\n");
    writeFileSync(join(dir, "broken.js"), "module.exports = (output) => {\n");
    writeFileSync(join(dir, "no-function.js"), "module.exports = { answer: 42 };\n");
    writeFileSync(join(dir, "expected.js"), "module.exports = (output, context) => context.vars.city;\n");
    writeFileSync(join(dir, "bool.js"), "module.exports = () => true;\n");
  });
  const file = (name: string) => `file://${name}`;

  it("calls a CommonJS function with (output, context)", async () => {
    const spec = { type: "javascript", value: file("length.js"), config: { max: 3 } };
    expect(await grade(spec, "abcd", { baseDir: dir })).toMatchObject({ pass: true, score: 1 });
    expect(await grade(spec, "ab", { baseDir: dir })).toMatchObject({
      pass: false,
      reason: "Custom function returned false\nfile://length.js",
    });
  });

  it("calls a named export", async () => {
    expect(
      await grade({ type: "javascript", value: file("named.cjs:hasBanana") }, "banana", { baseDir: dir }),
    ).toMatchObject({ pass: true, score: 0.5, reason: "Contains banana" });
    expect(
      await grade({ type: "javascript", value: file("named.cjs:echoVars") }, "x", {
        baseDir: dir,
        vars: { topic: "fruit" },
      }),
    ).toMatchObject({ pass: true });
    expect(
      await grade({ type: "javascript", value: file("named.mjs:yes") }, "x", { baseDir: dir }),
    ).toMatchObject({
      pass: true,
    });
  });

  it("awaits an ES module's async default export", async () => {
    expect(
      await grade({ type: "javascript", value: file("grade.mjs"), threshold: 0.5 }, "12345", {
        baseDir: dir,
      }),
    ).toMatchObject({ pass: true, score: 0.5 });
    expect(
      await grade({ type: "javascript", value: file("grade.mjs"), threshold: 0.5 }, "123", { baseDir: dir }),
    ).toMatchObject({ pass: false, score: 0.3 });
  });

  it("a file that throws, does not load or exports no function cannot be evaluated", async () => {
    const thrown = await grade({ type: "javascript", value: file("throws.js") }, "not json", {
      baseDir: dir,
    });
    expect(thrown).toMatchObject({ pass: false, score: 0, error: true });
    expect(thrown.reason).toMatch(/Unexpected token/);
    expect(
      await grade({ type: "javascript", value: file("broken.js") }, "x", { baseDir: dir }),
    ).toMatchObject({
      error: true,
    });
    expect(
      await grade({ type: "javascript", value: file("no-function.js") }, "x", { baseDir: dir }),
    ).toMatchObject({
      error: true,
      reason: `Assertion malformed: ${join(dir, "no-function.js")} must export a function or have a default export as a function`,
    });
    expect(
      await grade({ type: "javascript", value: file("named.cjs:missing") }, "x", { baseDir: dir }),
    ).toMatchObject({
      error: true,
      reason: `Assertion malformed: ${join(dir, "named.cjs")} must export a function named "missing"`,
    });
    expect(
      await grade({ type: "javascript", value: file("absent.js") }, "x", { baseDir: dir }),
    ).toMatchObject({
      error: true,
    });
  });

  it("in another assertion type, the script's result is the expected value", async () => {
    expect(
      await grade({ type: "contains", value: file("expected.js") }, "I live in Paris", {
        baseDir: dir,
        vars: { city: "Paris" },
      }),
    ).toMatchObject({ pass: true });
    expect(await grade({ type: "contains", value: file("bool.js") }, "true", { baseDir: dir })).toMatchObject(
      {
        error: true,
        reason:
          'Script for "contains" assertion returned a boolean. Only javascript/python/ruby assertion types can return boolean values. For other assertion types, return the expected value (string, number, array, or object).',
      },
    );
  });
});
