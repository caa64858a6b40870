import type { Item } from "../../src/core/types.js";

/** `count` prompt items for a fake provider: `prompt 1`, `prompt 2`, … */
export function fakeItems(count: number): Item[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    id: `item-${index + 1}`,
    line: index + 1,
    request: {
      model: { provider: "fake", model: "m" },
      messages: [{ role: "user" as const, content: `prompt ${index + 1}` }],
      params: {},
    },
  }));
}
