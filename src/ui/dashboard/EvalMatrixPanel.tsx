import { Box, Text } from "ink";
import { formatCount, formatShare } from "../../core/format/number.js";
import type { EvalMatrix } from "../eval-matrix.js";
import { useTone } from "./use-tone.js";

/** Labels as the panel shows them: one line, at most this many characters. */
const LABEL = 28;

/**
 * eval's prompt × provider matrix, filled in as rows are graded: a line per cell with its pass rate
 * so far and its counts (`route-v2 × openai:gpt-4o-mini   92%  46 pass · 3 fail · 1 error`).
 */
export function EvalMatrixPanel({ matrix }: { matrix: EvalMatrix }) {
  const tone = useTone();
  if (matrix.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>pass rate by prompt × provider</Text>
      {matrix.map((cell) => {
        const rows = cell.pass + cell.fail + cell.error;
        const rate = rows === 0 ? null : cell.pass / rows;
        const color = rate === null ? "gray" : rate >= 0.9 ? "green" : rate >= 0.5 ? "yellow" : "red";
        return (
          <Text key={`${cell.prompt}\u0000${cell.provider}`}>
            {`  ${short(cell.prompt)} × ${short(cell.provider)}  `}
            <Text {...tone(color)}>{formatShare(rate).padStart(4)}</Text>
            {`  ${formatCount(cell.pass)} pass · ${formatCount(cell.fail)} fail · ${formatCount(cell.error)} error`}
          </Text>
        );
      })}
    </Box>
  );
}

function short(label: string): string {
  const line = label.replace(/\s+/g, " ").trim();
  return line.length <= LABEL ? line : `${line.slice(0, LABEL - 1)}…`;
}
