import { createProvider as createAnthropic } from "../../providers/anthropic/index.js";
import { createProvider as createOpenAI } from "../../providers/openai/index.js";
import { ProviderError } from "../../src/core/errors.js";
import type { CallContext, CompletionRequest, Provider } from "../../src/core/provider.js";
import type { ChatMessage, RequestParams } from "../../src/core/types.js";

/** How each SDK provider reaches the mock server at `url`. */
export const SDK_PROVIDERS = [
  { name: "openai", model: "gpt-4o-mini", create: createOpenAI, baseUrl: (url: string) => `${url}/v1` },
  { name: "anthropic", model: "claude-haiku-4-5", create: createAnthropic, baseUrl: (url: string) => url },
] as const;

export type SdkProvider = (typeof SDK_PROVIDERS)[number];

export function chat(model: string, prompt: string, params: RequestParams = {}): CompletionRequest {
  const messages: ChatMessage[] = [{ role: "user", content: prompt }];
  return { model, messages, params };
}

export function context(baseUrl: string, extra: Partial<CallContext> = {}): CallContext {
  return { key: "sk-test-key-0001", baseUrl, signal: new AbortController().signal, ...extra };
}

/** The ProviderError a call rejects with; fails the test if it resolves or throws anything else. */
export async function failure(
  provider: Provider,
  request: CompletionRequest,
  ctx: CallContext,
): Promise<ProviderError> {
  const error = await provider.complete(request, ctx).then(
    (completion) => new Error(`expected a failure, got ${JSON.stringify(completion)}`),
    (e: unknown) => e,
  );
  if (!(error instanceof ProviderError)) throw error;
  return error;
}
