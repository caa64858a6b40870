import { createHash } from "node:crypto";
import type { ItemRequest } from "../core/types.js";

/**
 * The response cache's key: identical requests (provider, model, parameters, messages) sent to the
 * same endpoints share a hash. `endpoints` are where the request's provider is sent when that is not
 * its official endpoint; without them the hash is what it was before endpoints counted.
 */
export function requestHash(request: ItemRequest, endpoints?: readonly string[]): string {
  const hash = createHash("sha256").update(JSON.stringify(request));
  // The JSON has no raw newline, so nothing after one can be mistaken for part of the request.
  if (endpoints !== undefined && endpoints.length > 0) hash.update(`\n${JSON.stringify(endpoints)}`);
  return hash.digest("base64url");
}
