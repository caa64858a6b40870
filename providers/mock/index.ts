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
import { hashDraw } from "./hash-random.js";
import { instructAnswer } from "./instruct-model.js";
import { type MockModel, parseMockModel } from "./mock-model.js";
import { proposeReply } from "./proposer-model.js";

/** Rough token count for the mock: four characters a token, as OpenAI's rule of thumb has it. */
export function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The offline provider. `mock:echo` answers each request with the text of its last user message;
 * `mock:instruct` answers as its instruction tells it (instruct-model.ts); `mock:reflect` and
 * `mock:paraphrase` propose prompts (proposer-model.ts). Options in the model name add latency and
 * fail a fraction of requests. With `seed=`, every draw is a hash of the seed, the request and how
 * many times that request was sent before: the same answers and failures whatever the concurrency.
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

  return {
    name: "mock",
    async complete(request: CompletionRequest, context: CallContext): Promise<Completion> {
      const model = modelFor(request.model);
      const identity = JSON.stringify([request.model, request.messages, request.params]);
      const attempt = sent.get(identity) ?? 0;
      sent.set(identity, attempt + 1);
      const { seed } = model;
      const random =
        seed === undefined
          ? (options.random ?? Math.random)
          : (() => {
              let draw = 0;
              return () => hashDraw(seed, identity, String(attempt), String(draw++));
            })();
      const wait = model.latencyMs + (model.jitterMs > 0 ? random() * model.jitterMs : 0);
      if (wait > 0) await sleep(wait, context.signal);
      else if (context.signal.aborted) throw context.signal.reason;
      if (model.failRate > 0 && random() < model.failRate) {
        throw new ProviderError(`mock failure (${model.failType})`, {
          type: model.failType,
          status: statusFor(model.failType),
        });
      }
      const lastUser = request.messages.findLast((m) => m.role === "user");
      const prompt = request.messages.map((m) => messageText(m.content)).join("\n");
      let text = answer(model, lastUser ? messageText(lastUser.content) : "", prompt);
      let finishReason = "stop";
      const maxTokens = request.params.max_tokens;
      if (maxTokens !== undefined && roughTokens(text) > maxTokens) {
        text = text.slice(0, maxTokens * 4);
        finishReason = "length";
      }
      return {
        text,
        usage: { input_tokens: roughTokens(prompt), output_tokens: roughTokens(text) },
        finishReason,
      };
    },
  };
}

/** What a mock model answers: deterministic in the request and the model's seed. */
function answer(model: MockModel, lastUser: string, prompt: string): string {
  const seed = model.seed ?? 0;
  switch (model.name) {
    case "echo":
      return lastUser;
    case "instruct":
      return instructAnswer(prompt, seed, model.noise);
    case "reflect":
    case "paraphrase":
      return proposeReply(model.name, lastUser, seed);
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
