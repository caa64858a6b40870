import { Box, Text } from "ink";
import { formatCount } from "../../core/format/number.js";
import { formatDuration } from "../../core/format/time.js";
import { keyStatus } from "../progress-metrics.js";
import type { KeyView } from "../progress-state.js";
import { useTone } from "./use-tone.js";

/** Each key (by fingerprint): active, cooling for how long, or disabled and why. */
export function KeyList({ keys, now }: { keys: Readonly<Record<string, KeyView>>; now: number }) {
  const tone = useTone();
  const entries = Object.entries(keys);
  if (entries.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>keys</Text>
      {entries.map(([fingerprint, key]) => {
        const status = keyStatus(key, now);
        // A key that is its own scope is named after itself: saying so again adds nothing.
        const scope = key.scope === `${key.provider}:${fingerprint}` ? "" : key.scope;
        const where = [key.provider, scope].filter((part) => part !== "").join(" · ");
        return (
          <Text key={fingerprint}>
            {"  "}
            {fingerprint} {where ? `(${where}) ` : ""}
            {status.state === "active" ? <Text {...tone("green")}>active</Text> : null}
            {status.state === "cooling" ? (
              <Text {...tone("yellow")}>
                cooling{status.untilMs !== null ? ` ${formatDuration(status.untilMs)}` : ""}
              </Text>
            ) : null}
            {status.state === "disabled" ? (
              <Text {...tone("red")}>disabled{key.reason ? `: ${key.reason}` : ""}</Text>
            ) : null}
            {key.rateLimited > 0 ? ` · ${formatCount(key.rateLimited)}× 429` : ""}
          </Text>
        );
      })}
    </Box>
  );
}
