import { formatModelRef, type Item, type ModelRef } from "../core/types.js";
import { loadPriceTable } from "../cost/price-table.js";
import { loadKeyFile } from "../keys/load-keys.js";
import { estimateItems } from "../run/estimate-items.js";
import type { RunSettings } from "../run/run-settings.js";

/** `eval --dry-run`: the target calls' requests, tokens, cost range and duration; nothing is sent. */
export async function estimateEval(
  items: Iterable<Item>,
  count: number,
  sending: RunSettings,
  env: Readonly<Record<string, string | undefined>>,
  judge: { calls: number; models: readonly ModelRef[] } = { calls: 0, models: [] },
): Promise<string> {
  const keySpecs = sending.keySpecs ?? (sending.keysFile ? loadKeyFile(sending.keysFile, env) : []);
  const text = await estimateItems(
    items,
    { tpm: sending.tpm, rpm: sending.rpm, keySpecs, concurrency: sending.concurrency },
    { prices: loadPriceTable({ overrides: sending.prices }), env },
  );
  const judged =
    judge.calls > 0
      ? `judge calls: up to ${judge.calls} (${judge.models.map(formatModelRef).join(", ")}), besides the target calls below; their prompts hold the outputs, so they are counted, not priced\n`
      : "";
  return `metasync: eval dry run: ${count} rows\n${judged}${text}`;
}
