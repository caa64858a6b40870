import Anthropic from "@anthropic-ai/sdk";
import type {
  CallContext,
  Completion,
  CompletionRequest,
  Provider,
  ProviderOptions,
} from "../../src/core/provider.js";
import { CLIENT_TIMEOUT_MS, ClientCache } from "../client-cache.js";
import { abortedError } from "../http-error.js";
import { nodeFetch } from "../http-transport.js";
import { sdkLogger } from "../sdk-logger.js";
import { anthropicBatch } from "./batch.js";
import { fromMessage, MessageStreamAssembler } from "./completion.js";
import { toProviderError } from "./errors.js";
import { messageBody } from "./message-body.js";
import { schemaTool } from "./schema-tool.js";

export const DEFAULT_BASE_URL = "https://api.anthropic.com";

/** Anthropic's Messages API through the official SDK. */
export function createProvider(options: ProviderOptions = {}): Provider {
  const fetch = options.fetch ?? nodeFetch;
  const clients = new ClientCache(
    "anthropic",
    DEFAULT_BASE_URL,
    (apiKey, baseURL) =>
      new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: CLIENT_TIMEOUT_MS, fetch, logger: sdkLogger }),
  );

  async function completeWhole(client: Anthropic, request: CompletionRequest, context: CallContext) {
    const { data, response } = await client.messages
      .create(messageBody(request), { signal: context.signal })
      .withResponse();
    return fromMessage(data, response.headers, schemaTool(request.params)?.tool.name);
  }

  async function completeStreamed(client: Anthropic, request: CompletionRequest, context: CallContext) {
    const { data: stream, response } = await client.messages
      .create({ ...messageBody(request), stream: true }, { signal: context.signal })
      .withResponse();
    const assembler = new MessageStreamAssembler(schemaTool(request.params)?.tool.name);
    for await (const event of stream) assembler.add(event);
    // The SDK ends a stream quietly when its signal aborts; that is not a finished answer.
    if (context.signal.aborted)
      throw abortedError("anthropic", context.signal, undefined, clients.endpointFor(context));
    return assembler.finish(response.headers, { key: context.key, endpoint: clients.endpointFor(context) });
  }

  // Batch bodies and results stream, so batch calls use a streaming fetch.
  const batchFetch = options.fetch ?? globalThis.fetch;
  const batchClients = new ClientCache(
    "anthropic",
    DEFAULT_BASE_URL,
    (apiKey, baseURL) =>
      new Anthropic({
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: CLIENT_TIMEOUT_MS,
        fetch: batchFetch,
        logger: sdkLogger,
      }),
  );

  return {
    name: "anthropic",
    batch: anthropicBatch(batchClients),
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
  };
}
