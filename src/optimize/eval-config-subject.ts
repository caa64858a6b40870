import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { readEvalConfig } from "../eval/config/load-config.js";
import type { EvalTest } from "../eval/config/types.js";
import { resolveEvalSettings } from "../eval/eval-settings.js";
import { RenderError, renderPrompt, templateProblem } from "../eval/render.js";
import type { RunOptionValues } from "../recipe/option-table.js";
import type { FieldReader } from "./candidate-guards.js";
import type { DataRow } from "./dataset.js";
import type { OptimizeFlags, OptimizeSubject } from "./optimize-settings.js";
import type { RequestBuilder } from "./rollouts.js";
import { TestScorer } from "./scorer.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The eval-config form: one prompt of a promptfoo config, its tests as the rows, their assertions as the scorer. */
export interface EvalConfigProblem {
  subject: OptimizeSubject;
  rows: DataRow[];
  dataHash: string;
  build: RequestBuilder;
  scorer: TestScorer;
  /** Where the config's `file://` references are read. */
  baseDir: string;
  fields: FieldReader;
}

/**
 * `metasync optimize promptfooconfig.yaml --prompt <id|label>`: the prompt is rendered as eval
 * renders it (Nunjucks, promptfoo's semantics) for each test's vars and each provider (or `-m`);
 * each test is scored by its own assertions (model-graded ones by `--grader`, `metasync.grader`,
 * `defaultTest.options.provider` or their own provider). Chat prompts (a list of messages) are
 * refused for now (exit 2).
 */
export function evalConfigProblem(
  path: string,
  promptRef: string | undefined,
  sendingFlags: RunOptionValues,
  flags: OptimizeFlags,
  cwd: string,
  env: Env,
): EvalConfigProblem {
  const tests: EvalTest[] = [];
  const config = readEvalConfig(path, { env, cwd, ...(flags.model ? { models: flags.model } : {}) }, (test) =>
    tests.push(test),
  );
  const prompt =
    promptRef === undefined
      ? config.prompts.length === 1
        ? config.prompts[0]
        : undefined
      : config.prompts.find((p) => p.id === promptRef || p.label === promptRef);
  if (!prompt) {
    const known = config.prompts.map((p) => p.id).join(", ");
    throw new UsageError(
      promptRef === undefined
        ? `${path} has ${config.prompts.length} prompts: choose one with --prompt <id|label> (${known})`
        : `${path}: no prompt with id or label "${promptRef}" (known: ${known})`,
    );
  }
  if (typeof prompt.raw !== "string") {
    throw new UsageError(
      `${path}: prompt "${prompt.id}" is a chat (a list of messages); optimize rewrites text prompts only, for now`,
    );
  }
  const { sending, grader } = resolveEvalSettings(
    config,
    sendingFlags,
    flags.grader === undefined ? {} : { grader: flags.grader },
    cwd,
    env,
  );
  const providers = config.providers;
  const rows: DataRow[] = tests.map((test, index) => ({
    index,
    line: 0,
    id: String(test.index),
    raw: { kind: "json", line: 0, value: test.vars },
    vars: test.vars,
  }));
  const build: RequestBuilder = (parts, row, model) => {
    const provider = providers[model];
    if (!provider) return { problem: "no such provider" };
    try {
      const messages = renderPrompt(parts.template, row.vars, { env });
      return { model: provider.model, messages, params: provider.params };
    } catch (error) {
      if (error instanceof RenderError) return { problem: error.message };
      throw error;
    }
  };
  const dataHash = createHash("sha256")
    .update(readFileSync(config.path.startsWith("/") ? config.path : `${cwd}/${config.path}`))
    .update(JSON.stringify(tests))
    .digest("hex")
    .slice(0, 16);
  return {
    subject: {
      sending,
      models: providers.map((p) => p.model),
      source: { template: prompt.raw, system: undefined },
    },
    rows,
    dataHash,
    build,
    baseDir: config.baseDir,
    scorer: new TestScorer(
      tests.map((test) => ({
        assert: test.assert,
        ...(test.threshold !== undefined ? { threshold: test.threshold } : {}),
        ...(test.options !== undefined ? { options: test.options } : {}),
      })),
      { baseDir: config.baseDir, env, grader },
    ),
    fields: nunjucksFields,
  };
}

/** A Nunjucks prompt's top-level variables (`{{ name }}`, `{{ name | filter }}`, `{{ a.b }}`), or why it does not compile. */
export const nunjucksFields: FieldReader = (text) => {
  const problem = templateProblem(text);
  if (problem !== undefined) return { problem };
  return [...text.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)].map((m) => m[1] as string);
};
