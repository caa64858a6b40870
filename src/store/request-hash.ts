import { createHash } from "node:crypto";
import type { ItemRequest } from "../core/types.js";

/** Identical requests (provider, model, parameters, messages) share a hash: the response cache's key. */
export function requestHash(request: ItemRequest): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("base64url");
}
