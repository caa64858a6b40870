import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type AssertionSpec, runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

// promptfoo src/assertions/index.ts (file:// values) and utils.ts processFileReference;
// docs site/docs/configuration/expected-outputs/index.md#load-assertions-from-external-file
describe("file:// values, read relative to the config's directory", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "metasync-assert-files-"));
    writeFileSync(join(dir, "gettysburg_address.txt"), "\n  Four score and seven years ago  \n");
    writeFileSync(join(dir, "expected.json"), '{"answer": 42, "tags": ["a"]}');
    writeFileSync(join(dir, "schema.yaml"), "type: object\nrequired: [latitude]\n");
    writeFileSync(join(dir, "notes.md"), "# notes");
  });
  const grade = (spec: AssertionSpec, output: string) =>
    runAssertion(spec, contextFor(output, { baseDir: dir }));

  it("a .txt file is its trimmed text", async () => {
    const spec = { type: "contains", value: "file://gettysburg_address.txt" };
    expect(await grade(spec, "He said: Four score and seven years ago, ...")).toMatchObject({ pass: true });
    expect(await grade(spec, "Something else")).toMatchObject({
      pass: false,
      reason: 'Expected output to contain "Four score and seven years ago"',
    });
  });

  it("a .json file is data: equals compares it with the output parsed as JSON", async () => {
    expect(
      await grade({ type: "equals", value: "file://expected.json" }, '{"tags":["a"],"answer":42}'),
    ).toMatchObject({
      pass: true,
    });
    expect(
      await grade({ type: "equals", value: "file://expected.json" }, '{"answer":41,"tags":["a"]}'),
    ).toMatchObject({
      pass: false,
      reason: 'Expected output "{"answer":41,"tags":["a"]}" to equal "{"answer":42,"tags":["a"]}"',
    });
  });

  it("a .yaml file can hold a JSON schema", async () => {
    expect(await grade({ type: "is-json", value: "file://schema.yaml" }, '{"latitude": 1}')).toMatchObject({
      pass: true,
    });
    expect(await grade({ type: "is-json", value: "file://schema.yaml" }, "{}")).toMatchObject({
      pass: false,
      reason:
        "JSON does not conform to the provided schema. Errors: data must have required property 'latitude'",
    });
  });

  it("each file:// entry of a list is read too", async () => {
    const spec = { type: "contains-any", value: ["file://gettysburg_address.txt", "nothing"] };
    expect(await grade(spec, "Four score and seven years ago")).toMatchObject({ pass: true });
  });

  it("a missing file or another kind of file cannot be evaluated", async () => {
    expect(await grade({ type: "contains", value: "file://absent.txt" }, "x")).toMatchObject({ error: true });
    expect(await grade({ type: "contains", value: "file://notes.md" }, "x")).toMatchObject({
      error: true,
      reason: `Unsupported file type: ${join(dir, "notes.md")}`,
    });
  });
});
