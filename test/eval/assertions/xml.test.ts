import { describe, expect, it } from "vitest";
import { runAssertion } from "../../../src/eval/assertions/index.js";
import { contextFor } from "./context.js";

const grade = (type: string, value: unknown, output: string) =>
  runAssertion(value === undefined ? { type } : { type, value }, contextFor(output));

// Examples of promptfoo's docs, site/docs/configuration/expected-outputs/deterministic.md#is-xml;
// src/assertions/xml.ts for the reasons
describe("is-xml", () => {
  it("passes for a well-formed document and fails for a broken one, with the parser's message", async () => {
    expect(await grade("is-xml", undefined, "<root><child>Content</child></root>")).toEqual({
      pass: true,
      score: 1,
      reason: "Assertion passed",
      assertion: { type: "is-xml" },
    });
    const broken = await grade("is-xml", undefined, "<root><child>Content</child></root");
    expect(broken).toMatchObject({ pass: false, score: 0 });
    expect(broken.reason).toMatch(/^XML parsing failed: 1:\d+: /);
    expect(broken.error).toBeUndefined();
  });

  it("requires the whole output to be XML", async () => {
    const result = await grade("is-xml", undefined, "Sure: <root/>");
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/^XML parsing failed: /);
  });

  it("checks required elements as dotted paths from the root", async () => {
    const required = { requiredElements: ["analysis.classification", "analysis.color"] };
    expect(
      await grade(
        "is-xml",
        required,
        "<analysis><classification>T-shirt</classification><color>Red</color></analysis>",
      ),
    ).toMatchObject({ pass: true });
    expect(
      await grade("is-xml", required, "<analysis><classification>T-shirt</classification></analysis>"),
    ).toMatchObject({ pass: false, reason: "XML is missing required elements: analysis.color" });
    expect(
      await grade(
        "is-xml",
        { requiredElements: ["root.parent.child.grandchild"] },
        "<root><parent><child></child></parent></root>",
      ),
    ).toMatchObject({
      pass: false,
      reason: "XML is missing required elements: root.parent.child.grandchild",
    });
    // A comma-separated string and a list name elements too.
    expect(await grade("is-xml", "root.a, root.b", "<root><a>1</a></root>")).toMatchObject({
      reason: "XML is missing required elements: root.b",
    });
    expect(await grade("is-xml", ["root.a"], "<root><a>1</a></root>")).toMatchObject({ pass: true });
  });

  it("refuses DTD internal subsets", async () => {
    expect(await grade("is-xml", undefined, '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>')).toMatchObject({
      pass: false,
      reason: "DTD internal subsets are not supported by is-xml validation",
    });
  });

  it("not-is-xml passes for text and fails for XML, saying why", async () => {
    expect(await grade("not-is-xml", undefined, "just text")).toMatchObject({ pass: true, score: 1 });
    expect(await grade("not-is-xml", undefined, "<root/>")).toMatchObject({
      pass: false,
      reason: "XML is valid and contains all required elements",
    });
  });

  it("cannot be evaluated with an object value without requiredElements", async () => {
    expect(await grade("is-xml", { elements: ["a"] }, "<a/>")).toMatchObject({
      error: true,
      reason: "xml assertion must contain a string, array value, or no value",
    });
  });
});

// docs deterministic.md#contains-xml; promptfoo src/assertions/xml.ts containsXml
describe("contains-xml", () => {
  const chatty =
    "Sure, here is your xml:\n<root><child>Content</child></root>\nlet me know if you have any other questions!";

  it("finds an XML fragment inside text", async () => {
    expect(await grade("contains-xml", undefined, chatty)).toMatchObject({ pass: true });
    expect(await grade("contains-xml", { requiredElements: ["root.child"] }, chatty)).toMatchObject({
      pass: true,
    });
    expect(
      await grade(
        "contains-xml",
        { requiredElements: ["wrapper.root.child"] },
        "Text <wrapper><root><child>Content</child></root></wrapper>",
      ),
    ).toMatchObject({ pass: true });
  });

  it("fails with promptfoo's reasons", async () => {
    expect(await grade("contains-xml", undefined, "no markup here")).toMatchObject({
      pass: false,
      reason: "No XML content found in the output",
    });
    expect(await grade("contains-xml", { requiredElements: ["root.missing"] }, chatty)).toMatchObject({
      pass: false,
      reason: "No valid XML content found matching the requirements",
    });
    expect(await grade("not-contains-xml", undefined, chatty)).toMatchObject({
      pass: false,
      reason: "XML is valid and contains all required elements",
    });
  });
});
