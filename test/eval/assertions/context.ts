import type { AssertionContext } from "../../../src/eval/assertions/index.js";

/**
 * The context the eval command passes, for one output. `render` stands in for the caller's
 * Nunjucks: `{{ name }}` becomes the var's value.
 */
export function contextFor(output: string, extra: Partial<AssertionContext> = {}): AssertionContext {
  const vars = extra.vars ?? {};
  return {
    output,
    vars,
    prompt: "the rendered prompt",
    render: (template) =>
      template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => String(vars[name] ?? "")),
    baseDir: process.cwd(),
    ...extra,
  };
}
