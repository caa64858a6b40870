import { type ItemRequest, messageText } from "../types.js";

/**
 * A quick prompt-token estimate for admission charges: four characters a token plus the chat
 * format's overhead per message. The charge is reconciled with the usage the provider reports.
 */
export function roughPromptTokens(request: ItemRequest): number {
  let tokens = 3;
  for (const message of request.messages) tokens += 4 + Math.ceil(messageText(message.content).length / 4);
  return tokens;
}

/**
 * The most tokens a prompt can be for a byte-level BPE (OpenAI's encodings): one a byte, plus the
 * chat framing (3 a message, 3 to prime the reply, a name's 1).
 */
export function promptTokensAtMost(request: ItemRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 3 + Buffer.byteLength(message.role) + Buffer.byteLength(messageText(message.content));
    if (message.name !== undefined) tokens += 1 + Buffer.byteLength(message.name);
  }
  return tokens;
}
