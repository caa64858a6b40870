import OpenAI from "openai";
import type {
  CallContext,
  Completion,
  CompletionRequest,
  Provider,
  ProviderOptions,
} from "../../src/core/provider.js";
import { messageText } from "../../src/core/types.js";
import { CLIENT_TIMEOUT_MS, ClientCache } from "../client-cache.js";
import { abortedError } from "../http-error.js";
import { nodeFetch } from "../http-transport.js";
import { sdkLogger } from "../sdk-logger.js";
import { openaiBatch } from "./batch.js";
import { chatBody } from "./chat-body.js";
import { ChatStreamAssembler, fromChatCompletion } from "./completion.js";
import { embeddingCompletion } from "./embedding.js";
import { toProviderError } from "./errors.js";

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** OpenAI's Chat Completions API (and compatible servers) through the official SDK. */
export function createProvider(options: ProviderOptions = {}): Provider {
  const fetch = options.fetch ?? nodeFetch;
  const clients = new ClientCache(
    "openai",
    DEFAULT_BASE_URL,
    (apiKey, baseURL) =>
      new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: CLIENT_TIMEOUT_MS, fetch, logger: sdkLogger }),
  );

  async function completeWhole(client: OpenAI, request: CompletionRequest, context: CallContext) {
    const { data, response } = await client.chat.completions
      .create(chatBody(request), { signal: context.signal })
      .withResponse();
    return fromChatCompletion(data, response.headers);
  }

  async function completeStreamed(client: OpenAI, request: CompletionRequest, context: CallContext) {
    const body = { ...chatBody(request), stream: true, stream_options: { include_usage: true } } as const;
    const { data: stream, response } = await client.chat.completions
      .create(body, { signal: context.signal })
      .withResponse();
    const assembler = new ChatStreamAssembler();
    for await (const chunk of stream) assembler.add(chunk);
    // The SDK ends a stream quietly when its signal aborts; that is not a finished answer.
    if (context.signal.aborted)
      throw abortedError("openai", context.signal, undefined, clients.endpointFor(context));
    return assembler.finish(response.headers, { key: context.key, endpoint: clients.endpointFor(context) });
  }

  // Batch files stream both ways (uploads, results), so batch calls use a streaming fetch.
  const batchFetch = options.fetch ?? globalThis.fetch;
  const batchClients = new ClientCache(
    "openai",
    DEFAULT_BASE_URL,
    (apiKey, baseURL) =>
      new OpenAI({
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: CLIENT_TIMEOUT_MS,
        fetch: batchFetch,
        logger: sdkLogger,
      }),
  );

  return {
    name: "openai",
    batch: openaiBatch(batchClients),
    async complete(request: CompletionRequest, context: CallContext): Promise<Completion> {
      try {
        const client = clients.clientFor(context);
        return context.stream
          ? await completeStreamed(client, request, context)
          : await completeWhole(client, request, context);
      } catch (error) {
        throw toProviderError(error, context, clients.endpointFor(context));
      }
    },
    /** `POST /embeddings` through the SDK (which asks for base64 and decodes it to floats). */
    async embed(request: CompletionRequest, context: CallContext): Promise<Completion> {
      try {
        const client = clients.clientFor(context);
        const input = request.messages.map((m) => messageText(m.content)).join("\n");
        const { data, response } = await client.embeddings
          .create({ model: request.model, input }, { signal: context.signal })
          .withResponse();
        return embeddingCompletion(data, response.headers);
      } catch (error) {
        throw toProviderError(error, context, clients.endpointFor(context));
      }
    },
  };
}
