import { readFileSync } from "node:fs";
import { TokenCounter } from "../cost/token-count.js";
import type { RowDefaults } from "../input/row-to-request.js";
import { ModelRouter } from "../router/model-router.js";
import type { RouterConfig } from "../router/router-file.js";

/** How a router estimates a row's prompt tokens: as for gpt-4o (o200k_base text, its image formula). */
const ESTIMATE_AS = { provider: "openai", model: "gpt-4o" } as const;

/**
 * The `route` of a run's row defaults for `-m auto`: the router, with a tokenizer loaded first (a
 * row is routed as it is read, so the count must be at hand).
 */
export async function rowRouter(config: RouterConfig | undefined): Promise<{
  router: ModelRouter | undefined;
  route: RowDefaults["route"];
}> {
  if (!config) return { router: undefined, route: undefined };
  const counter = await TokenCounter.load(["o200k_base"]);
  const router = new ModelRouter(config, (messages) => counter.countPrompt(messages, ESTIMATE_AS));
  return { router, route: (messages, row) => router.route(messages, row) };
}

/** What identifies a router in a run's request-shaping options: its file's content. */
export function routerText(config: RouterConfig | undefined): string | null {
  if (!config) return null;
  try {
    return readFileSync(config.path, "utf8");
  } catch {
    return config.path;
  }
}
