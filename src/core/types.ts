/** Shapes shared by the input readers, the engine, the store and the writers. */

export const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
export type Role = (typeof ROLES)[number];

/** A content part as the OpenAI chat format has it; text parts are what every provider understands. */
export type ContentPart = { type: "text"; text: string } | { type: string; [field: string]: unknown };

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  name?: string;
}

/** Request parameters a row or a flag may set. A row's own values win. */
export interface RequestParams {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  response_format?: Record<string, unknown>;
  /** Other fields of an OpenAI Batch API body, passed as given to OpenAI-compatible providers. */
  extra?: Record<string, unknown>;
}

export const PARAM_NAMES = ["temperature", "max_tokens", "top_p", "stop", "seed", "response_format"] as const;

/** `provider:model`, e.g. `openai:gpt-4o-mini`. */
export interface ModelRef {
  provider: string;
  model: string;
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.provider}:${ref.model}`;
}

/** What is sent for one item. */
export interface ItemRequest {
  model: ModelRef;
  messages: ChatMessage[];
  params: RequestParams;
  /**
   * Which sample of the same request this is (eval's `--repeat`): part of the request's identity in
   * the response cache, so repeats are real samples and never one cached answer; never sent.
   */
  sample?: number;
  /** `-m auto`: the router rule that chose the model (never sent; results and reports name it). */
  route?: string;
  /** `-m auto`: the rule's fallbacks, used instead of `--fallback` for this request (see OWN_MODEL_RULE). */
  fallbacks?: ModelRef[];
  /**
   * `embedding`: ask for the embedding of the (one) message's text instead of a completion (eval's
   * `similar`); the answer's `output` is the vector as JSON. Absent for a chat completion.
   */
  kind?: "embedding";
}

/** How reports name the rows of a routed run (`-m auto`) that named their own model, and no rule took. */
export const OWN_MODEL_RULE = "(the row's own model)";

/** One unit of work: an input row turned into a request. */
export interface Item {
  /** 0-based position in the input; results are written in this order. */
  index: number;
  id: string;
  /** 1-based line of the input where the row starts. */
  line: number;
  request: ItemRequest;
  /** A CSV row's values, in header order, kept unchanged for the CSV results file. */
  columns?: string[];
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens?: number;
}

export interface ItemError {
  type: string;
  message: string;
  status?: number;
}

export type ItemStatus = "ok" | "error";

/** The outcome of one item, as stored and as written (DESIGN §4). */
export interface ItemResult {
  id: string;
  status: ItemStatus;
  output: string | null;
  model: string;
  usage: Usage | null;
  cost_usd: number | null;
  latency_ms: number;
  /** Requests sent for the item, except the 429s sent again once their scope had cooled down. */
  attempts: number;
  /** 429s answered and sent again after the wait the provider asked for; absent when none. */
  rate_limited_retries?: number;
  finish_reason: string | null;
  error: ItemError | null;
  request_id?: string;
  /** The fingerprint of the key that sent the last attempt (never the key). */
  key?: string;
  /** The provider batch (`--via batch`) that answered it: it was priced at the batch price. */
  batch_id?: string;
  /** The answer came from the response cache: nothing was sent for it in this run. */
  cached?: boolean;
  /** The answer parsed, when its request asked for a schema (`--schema`, `response_format`). */
  output_json?: unknown;
  /** `-m auto`: the router rule that chose the item's model. */
  rule?: string;
}

/**
 * Whether an answer is what its request asked for (a JSON Schema): the parsed answer, or what is
 * wrong with it (the item is then retried as `invalid_output`).
 */
export type AnswerCheck = { ok: true; json?: unknown } | { ok: false; problem: string };

/** An item with its result (none yet while it is pending), as the store reads them and the writers take them. */
export interface ResultEntry {
  item: Pick<Item, "id" | "columns">;
  result: ItemResult | undefined;
}

/** The text of a message's content: text parts joined, other parts left out. */
export function messageText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  return content
    .filter(
      (part): part is { type: "text"; text: string } => part.type === "text" && typeof part.text === "string",
    )
    .map((part) => part.text)
    .join("\n");
}
