import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import type { ErrorType } from "../../src/core/errors.js";
import { sdkErrorClassifier } from "../http-error.js";

/** Error codes that mean the account may not spend more, whatever the status. */
const SPENDING_CODES = new Set([
  "contract_spend_limit_reached",
  "enforced_spend_limit_reached",
  "linked_organization_spend_limit_reached",
  "linked_organization_billing_unavailable",
]);

/** Error types as they arrive without a status (an `error` event in a stream). */
const TYPE_KINDS: Record<string, ErrorType> = {
  invalid_request_error: "bad_request",
  authentication_error: "auth",
  permission_error: "auth",
  not_found_error: "bad_request",
  rate_limit_error: "rate_limited",
  timeout_error: "timeout",
  api_error: "server",
};

/** What an Anthropic error body says beyond the status. */
function kindOf(error: APIError): ErrorType | undefined {
  const message = error.apiMessage ?? error.message;
  if (error.type === "billing_error" || SPENDING_CODES.has(error.errorCode ?? "")) return "quota_exhausted";
  if (error.type === "overloaded_error") return "overloaded";
  if (error.status === 400 || error.status === 429) {
    if (/credit balance|billing|usage limits/i.test(message)) return "quota_exhausted";
    if (/content (filtering )?policy/i.test(message)) return "content_filter";
  }
  if (error.status === undefined && error.type !== null) return TYPE_KINDS[error.type];
  return undefined;
}

/** `529 overloaded_error: Overloaded` rather than the SDK's message, which holds the whole JSON body. */
function messageOf(error: APIError): string {
  if (error.apiMessage === null) return error.message;
  const type = error.type === null ? "" : `${error.type}: `;
  return `${error.status ?? ""} ${type}${error.apiMessage}`.trim();
}

/** Any failure of a call, as a classified ProviderError. */
export const toProviderError = sdkErrorClassifier(
  "anthropic",
  { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError },
  { kindOf, messageOf },
);
