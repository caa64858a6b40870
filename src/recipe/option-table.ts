/**
 * The `run` options a recipe may hold and flags may set: one table for commander's help, the recipe
 * validator and the merge of the two (flags win).
 */
export type OptionType = "string" | "number" | "integer" | "boolean" | "string[]";

export interface OptionSpec {
  /** The camelCase name commander gives the value. */
  key: string;
  flags: string;
  type: OptionType;
  description: string;
  /** Whether a recipe may set it (not e.g. the state path). */
  inRecipe: boolean;
}

export const RUN_OPTIONS = [
  {
    key: "model",
    flags: "-m, --model <provider:model>",
    type: "string",
    inRecipe: true,
    description:
      "default model, e.g. openai:gpt-4o-mini, anthropic:claude-haiku-4-5, mock:echo (a row's own model wins)",
  },
  {
    key: "template",
    flags: "-t, --template <text|@file>",
    type: "string",
    inRecipe: true,
    description: "prompt template; {{field}} and {{a.b}} take values from the row",
  },
  {
    key: "system",
    flags: "--system <text|@file>",
    type: "string",
    inRecipe: true,
    description: "system prompt (also a template)",
  },
  {
    key: "baseUrl",
    flags: "--base-url <url>",
    type: "string",
    inRecipe: true,
    description: "endpoint for the model's provider (vLLM, Ollama, OpenRouter, Azure …)",
  },
  {
    key: "temperature",
    flags: "--temperature <n>",
    type: "number",
    inRecipe: true,
    description: "sampling temperature (a row's own value wins)",
  },
  {
    key: "maxTokens",
    flags: "--max-tokens <n>",
    type: "integer",
    inRecipe: true,
    description: "most output tokens per request",
  },
  { key: "topP", flags: "--top-p <n>", type: "number", inRecipe: true, description: "nucleus sampling" },
  {
    key: "stop",
    flags: "--stop <text>",
    type: "string[]",
    inRecipe: true,
    description: "stop sequence (repeatable)",
  },
  { key: "seed", flags: "--seed <n>", type: "integer", inRecipe: true, description: "sampling seed" },
  {
    key: "router",
    flags: "--router <file>",
    type: "string",
    inRecipe: true,
    description:
      "with -m auto: a YAML file of ordered rules choosing each row's model (prompt tokens, a regex, row fields, images)",
  },
  {
    key: "image",
    flags: "--image <template>",
    type: "string[]",
    inRecipe: true,
    description:
      "repeatable; adds an image to every row from a local path or an http(s) URL in it, e.g. '{{photo}}' (files are checked and sent as data URLs)",
  },
  {
    key: "schema",
    flags: "--schema <file|json|fields>",
    type: "string",
    inRecipe: true,
    description:
      "structured output: a JSON Schema (file or inline) or fields 'name, age int, bio: a one-line bio' (str, int, float, bool); answers are validated and retried when invalid",
  },
  {
    key: "format",
    flags: "--format <jsonl|csv|tsv>",
    type: "string",
    inRecipe: true,
    description: "input format (default: from the file's extension; stdin is jsonl)",
  },
  {
    key: "encoding",
    flags: "--encoding <name>",
    type: "string",
    inRecipe: true,
    description:
      "the input's encoding when it is not UTF-8: cp1252 (Excel's CSV, Latin-1), utf-16le, utf-16be …",
  },
  {
    key: "delimiter",
    flags: "--delimiter <char>",
    type: "string",
    inRecipe: true,
    description: "CSV field delimiter, e.g. ';' or tab (default: , for CSV, tab for TSV)",
  },
  {
    key: "out",
    flags: "-o, --out <file>",
    type: "string",
    inRecipe: true,
    description: "results file, .jsonl or .csv (default: JSONL lines on stdout)",
  },
  {
    key: "concurrency",
    flags: "-c, --concurrency <n>",
    type: "integer",
    inRecipe: true,
    description: "most requests in flight at once (default 8)",
  },
  {
    key: "maxAttempts",
    flags: "--max-attempts <n>",
    type: "integer",
    inRecipe: true,
    description: "attempts per item before it fails (default 5)",
  },
  {
    key: "timeout",
    flags: "--timeout <seconds>",
    type: "number",
    inRecipe: true,
    description: "seconds per request before it is abandoned and retried (default 600)",
  },
  {
    key: "fallback",
    flags: "--fallback <provider:model>",
    type: "string[]",
    inRecipe: true,
    description: "repeatable; models to route to, in order, when the primary keeps failing",
  },
  {
    key: "tpm",
    flags: "--tpm <n>",
    type: "number",
    inRecipe: true,
    description: "tokens per minute for each limit scope (default: learned from the provider's headers)",
  },
  {
    key: "rpm",
    flags: "--rpm <n>",
    type: "number",
    inRecipe: true,
    description: "requests per minute for each limit scope (default: learned from the provider's headers)",
  },
  {
    key: "keys",
    flags: "--keys <file>",
    type: "string",
    inRecipe: false,
    description:
      "key pool file (YAML or JSON): per-key provider, key (or env:NAME), scope, tpm, rpm, weight, base_url",
  },
  {
    key: "strategy",
    flags: "--strategy <s>",
    type: "string",
    inRecipe: true,
    description: "key selection: round-robin (default), least-busy, weighted",
  },
  {
    key: "stream",
    flags: "--stream",
    type: "boolean",
    inRecipe: true,
    description: "receive answers as streams (for servers or proxies that cut long silent requests)",
  },
  {
    key: "outFormat",
    flags: "--out-format <f>",
    type: "string",
    inRecipe: true,
    description:
      "metasync (default), openai-batch (lines shaped like OpenAI Batch API output) or csv (without -o: CSV on stdout, header first)",
  },
  {
    key: "csvFormulas",
    flags: "--csv-formulas",
    type: "boolean",
    inRecipe: true,
    description:
      "CSV results: write answers starting with = + - @ as they are (by default they get a leading ' so spreadsheets do not run them as formulas)",
  },
  {
    key: "prices",
    flags: "--prices <file>",
    type: "string",
    inRecipe: true,
    description:
      "price overrides or additions (YAML or JSON), e.g. openai:my-model: {input: 1.0, output: 2.0}",
  },
  {
    key: "maxCost",
    flags: "--max-cost <usd>",
    type: "number",
    inRecipe: true,
    description: "never spend more than this on the run; stops (exit 3, resumable) before crossing it",
  },
  {
    key: "dryRun",
    flags: "--dry-run",
    type: "boolean",
    inRecipe: false,
    description: "read and check everything, estimate tokens, cost and duration; send nothing",
  },
  {
    key: "json",
    flags: "--json",
    type: "boolean",
    inRecipe: false,
    description: "with --dry-run: print the estimate as one JSON object on stdout",
  },
  {
    key: "report",
    flags: "--report <file>",
    type: "string",
    inRecipe: true,
    description: "write the run report (.json or .md)",
  },
  {
    key: "metricsFile",
    flags: "--metrics-file <file>",
    type: "string",
    inRecipe: true,
    description:
      "write the run's metrics in Prometheus text format (for node_exporter's textfile collector), every few seconds and at the end",
  },
  {
    key: "state",
    flags: "--state <file>",
    type: "string",
    inRecipe: false,
    description: "SQLite state database (default .metasync/state.db, or $METASYNC_STATE)",
  },
  {
    key: "run",
    flags: "--run <name>",
    type: "string",
    inRecipe: false,
    description: "name the run (default: derived from the input and the request-shaping options)",
  },
  {
    key: "fresh",
    flags: "--fresh",
    type: "boolean",
    inRecipe: false,
    description: "start a new run even if a matching one exists",
  },
  {
    key: "cache",
    flags: "--no-cache",
    type: "boolean",
    inRecipe: true,
    description: "send every request, even one answered before (the response cache is on by default)",
  },
  {
    key: "retryFailed",
    flags: "--retry-failed",
    type: "boolean",
    inRecipe: false,
    description: "put a resumed run's failed items back in the queue",
  },
  {
    key: "progress",
    flags: "--progress <mode>",
    type: "string",
    inRecipe: true,
    description:
      "how progress is shown on stderr: auto (dashboard on a terminal, plain lines otherwise), tui, bar, plain, json, none",
  },
  {
    key: "coordinator",
    flags: "--coordinator <url>",
    type: "string",
    inRecipe: false,
    description:
      "Redis (redis://host:6379/0, rediss://…, unix:///path.sock; or $METASYNC_COORDINATOR) through which processes share limits",
  },
  {
    key: "coordinatorTimeout",
    flags: "--coordinator-timeout <seconds>",
    type: "number",
    inRecipe: true,
    description:
      "how long to wait for an unreachable coordinator before stopping (exit 3, resumable; default 60)",
  },
  {
    key: "share",
    flags: "--share",
    type: "boolean",
    inRecipe: false,
    description: "with --coordinator: let `metasync worker` processes take this run's items",
  },
  // Provider batch mode (design/batch.md).
  {
    key: "via",
    flags: "--via <live|batch>",
    type: "string",
    inRecipe: true,
    description:
      "how requests travel: live (default) or batch (the providers' batch APIs: half price, answers within 24 h)",
  },
  {
    key: "detach",
    flags: "--detach",
    type: "boolean",
    inRecipe: true,
    description:
      "with --via batch: submit and collect what has ended, then exit (0 all in, 75 still pending)",
  },
  {
    key: "batchSize",
    flags: "--batch-size <n>",
    type: "integer",
    inRecipe: true,
    description: "with --via batch: most requests in one provider batch (default: the provider's limit)",
  },
  {
    key: "pollInterval",
    flags: "--poll-interval <seconds>",
    type: "number",
    inRecipe: true,
    description: "with --via batch: first wait between polls, doubling up to 5 minutes (default 30)",
  },
  {
    key: "batchQueueTokens",
    flags: "--batch-queue-tokens <n>",
    type: "integer",
    inRecipe: true,
    description:
      "with --via batch: most prompt tokens enqueued at OpenAI per key scope and model (its enqueued-token limit)",
  },
] as const satisfies readonly OptionSpec[];

/**
 * `run`'s options that say how requests are sent, paid for and watched: the ones every command over
 * the sending session (eval, optimize) takes with the same names and meanings.
 */
export function sendingOptions(...more: readonly string[]): OptionSpec[] {
  const keys = new Set([
    "baseUrl",
    "concurrency",
    "maxAttempts",
    "timeout",
    "fallback",
    "tpm",
    "rpm",
    "keys",
    "strategy",
    "stream",
    "prices",
    "maxCost",
    "dryRun",
    "state",
    "fresh",
    "progress",
    "metricsFile",
    "coordinator",
    "coordinatorTimeout",
    ...more,
  ]);
  return RUN_OPTIONS.filter((spec) => keys.has(spec.key));
}

export type RunOptionKey = (typeof RUN_OPTIONS)[number]["key"];

type ValueOf<T extends OptionType> = T extends "string"
  ? string
  : T extends "number" | "integer"
    ? number
    : T extends "boolean"
      ? boolean
      : string[];

/** Option values as given (by flags, a recipe or both), each optional. */
export type RunOptionValues = {
  -readonly [S in (typeof RUN_OPTIONS)[number] as S["key"]]?: ValueOf<S["type"]>;
};

/** `maxTokens`, `max-tokens` and `max_tokens` all name the same option. */
export function optionByName(name: string): OptionSpec | undefined {
  const key = name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
  return RUN_OPTIONS.find((o) => o.key === key);
}

/** Parses a flag's text into its option's type; returns a problem message or the value. */
export function parseOptionText(spec: OptionSpec, text: string): { value: unknown } | { problem: string } {
  if (spec.type === "number" || spec.type === "integer") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || (spec.type === "integer" && !Number.isInteger(n))) {
      return {
        problem: `${flagName(spec)} must be ${spec.type === "integer" ? "a whole number" : "a number"}, got "${text}"`,
      };
    }
    return { value: n };
  }
  return { value: text };
}

export function flagName(spec: OptionSpec): string {
  return (
    spec.flags
      .split(" ")
      .find((part) => part.startsWith("--"))
      ?.replace(/,$/, "") ?? spec.key
  );
}
