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
