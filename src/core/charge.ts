/** What a request costs against a scope's limits, the way its provider meters it (DESIGN §6). */
export interface Charge {
  requests: number;
  /** OpenAI: prompt tokens plus `max_tokens`, counted at admission. */
  tokens: number;
  /** Anthropic meters input and output tokens separately. */
  inputTokens: number;
  outputTokens: number;
}

export const DIMENSIONS = ["requests", "tokens", "inputTokens", "outputTokens"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The charge of a request at admission: estimated prompt tokens plus the most it may write
 * (`max_tokens`; unknown output counts as none until the response reports it).
 */
export function admissionCharge(promptTokens: number, maxTokens: number | undefined): Charge {
  const output = maxTokens ?? 0;
  return { requests: 1, tokens: promptTokens + output, inputTokens: promptTokens, outputTokens: output };
}

/**
 * The charge as the provider settled it, from the usage it reported: the real prompt tokens, and
 * `max_tokens` (OpenAI keeps charging it) or the real output tokens where no cap was sent.
 */
export function settledCharge(
  usage: { input_tokens: number; output_tokens: number },
  maxTokens: number | undefined,
): Charge {
  return {
    requests: 1,
    tokens: usage.input_tokens + (maxTokens ?? usage.output_tokens),
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
  };
}
