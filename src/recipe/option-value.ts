import type { ConfigNode } from "../config/yaml-config.js";
import type { OptionType } from "./option-table.js";

/** What a value of each option type is, as a problem says it must be. */
export const OPTION_TYPE_NAMES: Readonly<Record<OptionType, string>> = {
  string: "text",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  "string[]": "text or a list of texts",
};

/**
 * A config value as an option of `type` (a recipe's, an eval config's `metasync:` block), or
 * undefined when it is not one; a single text is a list of one where a list is taken.
 */
export function optionValue(type: OptionType, node: ConfigNode): unknown {
  switch (type) {
    case "string[]": {
      if (node.kind !== "list") {
        const one = node.string();
        return one === undefined ? undefined : [one];
      }
      const items = node.items.map((item) => item.string());
      return items.every((item) => item !== undefined) ? items : undefined;
    }
    case "string":
      return node.string() ?? (typeof node.scalar === "number" ? String(node.scalar) : undefined);
    case "number":
      return node.number();
    case "integer":
      return node.integer();
    case "boolean":
      return node.boolean();
  }
}
