import { type ItemRequest, messageText } from "../core/types.js";
import { promptImageTokens } from "./image-tokens.js";
import { REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_NAME } from "./token-count.js";

/**
 * A quick prompt-token estimate for admission charges: four characters a token plus the chat
 * format's overhead per message, and images by their provider's formula. The charge is reconciled with the usage the provider reports.
 */
export function roughPromptTokens(request: ItemRequest): number {
  let tokens = 3;
  for (const message of request.messages) tokens += 4 + Math.ceil(messageText(message.content).length / 4);
  return tokens + promptImageTokens(request.messages, request.model);
}

/** The most tokens a prompt can be for a byte-level BPE (OpenAI's encodings): one a byte, plus the chat framing. */
export function promptTokensAtMost(request: ItemRequest): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) {
    tokens +=
      TOKENS_PER_MESSAGE + Buffer.byteLength(message.role) + Buffer.byteLength(messageText(message.content));
    if (message.name !== undefined) tokens += TOKENS_PER_NAME + Buffer.byteLength(message.name);
  }
  return tokens + promptImageTokens(request.messages, request.model);
}
