import type { ChatMessage, ModelRef, RequestParams } from "../../core/types.js";
import type { AssertionSpec } from "../assertions/types.js";

export type { AssertionSpec };

/** A prompt: a template string, or a chat as a list of messages whose contents are templates. */
export interface EvalPrompt {
  /** The `id` the config gives, else the label. */
  id: string;
  /** The `label` the config gives, else promptfoo's default label (the text, or `path: text` for a file). */
  label: string;
  raw: string | ChatMessage[];
}

export interface EvalProvider {
  /** The provider id as written in the config (or the `-m` flag): `openai:chat:gpt-4o-mini`. */
  id: string;
  /** The `label` the config gives, else the metasync id: `openai:gpt-4o-mini`. */
  label: string;
  model: ModelRef;
  /** `config`'s temperature, max_tokens, top_p, stop, seed, response_format. */
  params: RequestParams;
  /** `config.apiBaseUrl`. */
  baseUrl?: string;
  /** `config.apiKeyEnvar`: the environment variable holding the key. */
  apiKeyEnv?: string;
}

/** One test after `defaultTest` is merged in and array vars are expanded. */
export interface EvalTest {
  /** 0-based, after vars expansion, in config order. */
  index: number;
  description?: string;
  vars: Record<string, unknown>;
  /** `defaultTest.assert` first, then the test's own (promptfoo's order). */
  assert: AssertionSpec[];
  threshold?: number;
  metadata?: Record<string, unknown>;
  options?: { provider?: unknown; rubricPrompt?: unknown };
}

/** The `metasync:` block: `run`'s option names (camelCase) and eval's own, validated. */
export type EvalRunOptions = {
  tpm?: number;
  rpm?: number;
  keys?: string;
  strategy?: string;
  concurrency?: number;
  maxAttempts?: number;
  timeout?: number;
  baseUrl?: string;
  maxCost?: number;
  cache?: boolean;
  progress?: string;
  prices?: string;
  fallback?: string[];
  stream?: boolean;
  grader?: string;
  passRate?: number;
  repeat?: number;
};

export interface EvalConfig {
  /** The config file, as given. */
  path: string;
  /** Its directory, absolute: `file://` paths (prompts, tests, assertion values) are relative to it. */
  baseDir: string;
  description?: string;
  prompts: EvalPrompt[];
  providers: EvalProvider[];
  tests: EvalTest[];
  /** `evaluateOptions.repeat`. */
  repeat?: number;
  /** `evaluateOptions.maxConcurrency`. */
  maxConcurrency?: number;
  metasync: EvalRunOptions;
}
