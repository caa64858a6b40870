import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { compileTemplate } from "../../src/input/template.js";

describe("compileTemplate", () => {
  it("fills {{field}} from the row and keeps the text around it", () => {
    const template = compileTemplate("Summarize: {{text}} (by {{author}})");
    expect(template.render({ text: "great kettle", author: "Ann" })).toEqual({
      ok: true,
      text: "Summarize: great kettle (by Ann)",
    });
  });

  it("accepts spaces inside the braces and dotted paths into nested objects", () => {
    const template = compileTemplate("{{ user.name }} / {{user.address.city}}");
    expect(template.render({ user: { name: "Ann", address: { city: "Oslo" } } })).toEqual({
      ok: true,
      text: "Ann / Oslo",
    });
  });

  it("prefers a literal column name containing a dot over a nested path", () => {
    const template = compileTemplate("{{a.b}}");
    expect(template.render({ "a.b": "literal", a: { b: "nested" } })).toEqual({ ok: true, text: "literal" });
    expect(template.render({ a: { b: "nested" } })).toEqual({ ok: true, text: "nested" });
  });

  it("writes numbers and booleans as text, objects and arrays as JSON", () => {
    const template = compileTemplate("{{n}} {{f}} {{b}} {{o}} {{list}}");
    expect(template.render({ n: 42, f: 0.5, b: false, o: { k: [1, "x"] }, list: ["a", 2] })).toEqual({
      ok: true,
      text: '42 0.5 false {"k":[1,"x"]} ["a",2]',
    });
  });

  it("renders an empty string value as empty, not as missing", () => {
    expect(compileTemplate("[{{x}}]").render({ x: "" })).toEqual({ ok: true, text: "[]" });
  });

  it("reports the first missing field (absent, null, or a path that does not exist)", () => {
    const template = compileTemplate("{{a}} {{b.c}}");
    expect(template.render({ b: { c: 1 } })).toEqual({ ok: false, missing: "a" });
    expect(template.render({ a: null, b: { c: 1 } })).toEqual({ ok: false, missing: "a" });
    expect(template.render({ a: 1, b: "not an object" })).toEqual({ ok: false, missing: "b.c" });
    expect(template.render({ a: 1, b: {} })).toEqual({ ok: false, missing: "b.c" });
  });

  it("does not reach inherited properties such as constructor or toString", () => {
    expect(compileTemplate("{{constructor}}").render({})).toEqual({ ok: false, missing: "constructor" });
    expect(compileTemplate("{{a.toString}}").render({ a: {} })).toEqual({ ok: false, missing: "a.toString" });
  });

  it("lists the fields it uses, each once, in order of first use", () => {
    expect(compileTemplate("{{b}} {{a}} {{ b }} {{c.d}}").fields).toEqual(["b", "a", "c.d"]);
  });

  it("leaves text without placeholders, single braces and a stray }} unchanged", () => {
    expect(compileTemplate('plain {text} {"a": {"b": 1}} }}').render({})).toEqual({
      ok: true,
      text: 'plain {text} {"a": {"b": 1}} }}',
    });
  });

  it("writes \\{{ as a literal {{", () => {
    expect(compileTemplate("\\{{ not a field }} but {{x}}").render({ x: 1 })).toEqual({
      ok: true,
      text: "{{ not a field }} but 1",
    });
  });

  it("takes a field name with spaces (a CSV column) as it is", () => {
    expect(compileTemplate("{{ first name }}").render({ "first name": "Ann" })).toEqual({
      ok: true,
      text: "Ann",
    });
  });

  it.each([
    ["{{text", '--template: "{{text" at column 1: this {{ is never closed by }}'],
    ["Say {{ text }", '--template: "{{ text }" at column 5: this {{ is never closed by }}'],
    ["{{a {{b}}", '--template: "{{a {{b}}" at column 1: this {{ is never closed by }}'],
    ["{{ x | upper }}", '--template: "{{ x | upper }}" at column 1: filters (|) are not supported'],
    ["{{#each rows}}", '--template: "{{#each rows}}" at column 1: unknown template syntax'],
    ["{{{html}}}", '--template: "{{{html}}}" at column 1: triple braces are not template syntax here'],
    ["a\nb {{ }}", '--template: "{{ }}" at line 2, column 3: an empty placeholder'],
  ])("refuses %j instead of sending it as it is", (source, message) => {
    expect(() => compileTemplate(source, "--template")).toThrow(UsageError);
    expect(() => compileTemplate(source, "--template")).toThrow(message);
  });

  it("does not re-expand placeholders that appear inside a value", () => {
    expect(compileTemplate("{{a}}").render({ a: "{{b}}", b: "nope" })).toEqual({ ok: true, text: "{{b}}" });
  });
});
