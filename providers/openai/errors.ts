import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ErrorType } from "../../src/core/errors.js";
import { saysTooLarge, sdkErrorClassifier } from "../http-error.js";

/** What an OpenAI error body's `code` says beyond the status. */
function kindOf(error: APIError): ErrorType | undefined {
  if (error.code === "insufficient_quota") return "quota_exhausted";
  if (error.code === "content_filter" || error.code === "content_policy_violation") return "content_filter";
  return undefined;
}

/** Any failure of a call, as a classified ProviderError. */
export const toProviderError = sdkErrorClassifier(
  "openai",
  { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError },
  { kindOf, exceedsLimit: (error) => saysTooLarge(error.message) },
);
