import { systemClock } from "../../src/core/clock.js";
import { ProviderError } from "../../src/core/errors.js";
import type {
  CallContext,
  Completion,
  CompletionRequest,
  Provider,
  ProviderOptions,
} from "../../src/core/provider.js";
import { messageText } from "../../src/core/types.js";
import { dataUrlImage } from "../image-header.js";
import { imageTokens } from "../image-limits.js";
import { hashDraw } from "./hash-random.js";
import { instructAnswer } from "./instruct-model.js";
import { mockEmbedding } from "./mock-embedding.js";
import { mockJudgeAnswer } from "./mock-judge.js";
import { type MockModel, parseMockModel } from "./mock-model.js";
import { proposeReply } from "./proposer-model.js";
import { schemaAnswer } from "./schema-answer.js";

/** Rough token count for the mock: four characters a token, as OpenAI's rule of thumb has it. */
export function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The offline provider. `mock:echo` answers each request with the text of its last user message;
 * `mock:instruct` answers as its instruction tells it (instruct-model.ts); `mock:reflect` and
 * `mock:paraphrase` propose prompts (proposer-model.ts); `mock:grader` judges (mock-judge.ts). Options
 * in the model name add latency and fail a fraction of requests. With `seed=`, every draw is a hash of
 * the seed, the request and how many times that request was sent before: the same answers and
 * failures whatever the concurrency (without a seed nothing is remembered per request).
 */
export function createProvider(options: ProviderOptions): Provider {
  const sleep = options.sleep ?? systemClock.sleep;
  const models = new Map<string, MockModel>();
  const sent = new Map<string, number>();
  const modelFor = (spec: string) => {
    let model = models.get(spec);
    if (!model) {
      model = parseMockModel(spec);
      models.set(spec, model);
    }
    return model;
  };
  /** The request's draws: hashed from seed, request and attempt when seeded, else the given random. */
  const drawsFor = (model: MockModel, request: CompletionRequest): (() => number) => {
    const { seed } = model;
    if (seed === undefined) return options.random ?? Math.random;
    const identity = JSON.stringify([request.model, request.messages, request.params]);
    const attempt = sent.get(identity) ?? 0;
    sent.set(identity, attempt + 1);
    let draw = 0;
    return () => hashDraw(seed, identity, String(attempt), String(draw++));
  };

  /**
   * The model's latency, then its injected failures, before any answer: a promise only when there is
   * a wait (most mock requests have none, and an await costs every one of them).
   */
  function behave(model: MockModel, random: () => number, signal: AbortSignal): Promise<void> | undefined {
    const wait = model.latencyMs + (model.jitterMs > 0 ? random() * model.jitterMs : 0);
    if (wait > 0) return sleep(wait, signal).then(() => injectFailure(model, random));
    if (signal.aborted) throw signal.reason;
    injectFailure(model, random);
    return undefined;
  }

  return {
    name: "mock",
    async complete(request: CompletionRequest, context: CallContext): Promise<Completion> {
      const model = modelFor(request.model);
      const waiting = behave(model, drawsFor(model, request), context.signal);
      if (waiting) await waiting;
      const prompt = request.messages.map((m) => messageText(m.content)).join("\n");
      let text = answer(model, request, prompt);
      let finishReason = "stop";
      const maxTokens = request.params.max_tokens;
      if (maxTokens !== undefined && roughTokens(text) > maxTokens) {
        text = text.slice(0, maxTokens * 4);
        finishReason = "length";
      }
      return {
        text,
        usage: {
          input_tokens: roughTokens(prompt) + imageTokensOf(request),
          output_tokens: roughTokens(text),
        },
        finishReason,
      };
    },
    /** Any mock model embeds: `mockEmbedding` of the message text, as JSON. */
    async embed(request: CompletionRequest, context: CallContext): Promise<Completion> {
      const model = modelFor(request.model);
      const waiting = behave(model, drawsFor(model, request), context.signal);
      if (waiting) await waiting;
      const text = request.messages.map((m) => messageText(m.content)).join("\n");
      return {
        text: JSON.stringify(mockEmbedding(text)),
        usage: { input_tokens: roughTokens(text), output_tokens: 0 },
        finishReason: "stop",
      };
    },
  };
}

/** What a mock model answers: deterministic in the request and the model's seed. */
function answer(model: MockModel, request: CompletionRequest, prompt: string): string {
  const seed = model.seed ?? 0;
  const lastUser = request.messages.findLast((m) => m.role === "user");
  const lastText = lastUser ? messageText(lastUser.content) : "";
  const echo = (): string => {
    // Asked for a schema, the mock answers JSON that follows it, derived from the prompt.
    const schema = requestedSchema(request);
    return schema === undefined ? lastText : JSON.stringify(schemaAnswer(schema, lastText));
  };
  switch (model.name) {
    case "grader":
      // A prompt that is no grader prompt is echoed, as by `mock:echo`.
      return mockJudgeAnswer(prompt, { noise: model.noise, seed, sample: request.sample }) ?? echo();
    case "instruct":
      return instructAnswer(prompt, seed, model.noise);
    case "reflect":
    case "paraphrase":
      return proposeReply(model.name, lastText, seed);
    case "echo":
      return echo();
  }
}

/** The request's images, counted as OpenAI's tile formula counts them (the mock has none of its own). */
function imageTokensOf(request: CompletionRequest): number {
  let total = 0;
  for (const message of request.messages) {
    if (typeof message.content === "string") continue;
    for (const part of message.content) {
      const url =
        part.type === "image_url" ? (part.image_url as { url?: unknown } | undefined)?.url : undefined;
      if (typeof url === "string") total += imageTokens("openai", "gpt-4o", dataUrlImage(url));
    }
  }
  return total;
}

/** The JSON Schema of a `json_schema` response format, if the request has one. */
function requestedSchema(request: CompletionRequest): unknown {
  const format = request.params.response_format;
  if (format?.type !== "json_schema") return undefined;
  return (format.json_schema as { schema?: unknown } | undefined)?.schema;
}

function injectFailure(model: MockModel, random: () => number): void {
  if (model.failRate > 0 && random() < model.failRate) {
    throw new ProviderError(`mock failure (${model.failType})`, {
      type: model.failType,
      status: statusFor(model.failType),
    });
  }
}

function statusFor(type: string): number | undefined {
  const statuses: Record<string, number> = {
    rate_limited: 429,
    quota_exhausted: 429,
    auth: 401,
    bad_request: 400,
    server: 500,
    overloaded: 529,
    content_filter: 400,
  };
  return statuses[type];
}
