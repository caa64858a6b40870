import { Box, Text } from "ink";
import { formatClockTime } from "../../core/format/time.js";
import type { RecentError } from "../progress-state.js";
import { useTone } from "./use-tone.js";

/** The latest errors, newest last: `12:03:07 p42 rate_limited (attempt 2, retrying): …` */
export function ErrorList({ errors }: { errors: readonly RecentError[] }) {
  const tone = useTone();
  if (errors.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>latest errors</Text>
      {errors.map((error) => (
        <Text key={`${error.at}-${error.id}-${error.attempt}-${error.outcome}`} wrap="truncate-end">
          {"  "}
          {formatClockTime(error.at)} {error.id}{" "}
          <Text {...tone(error.outcome === "failed" ? "red" : "yellow")}>{error.type}</Text> (attempt{" "}
          {error.attempt}, {error.outcome === "failed" ? "failed" : "retrying"}): {firstLine(error.message)}
        </Text>
      ))}
    </Box>
  );
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
