import { Box, Text } from "ink";
import { formatUsd } from "../../core/format/usd.js";
import type { OptimizeProgress } from "../optimize-progress.js";
import { useTone } from "./use-tone.js";

/** Reasons as the panel shows them: one line, at most this many characters. */
const REASON = 70;

/**
 * `metasync optimize` live: the step, the best val score so far (and each time it rose, against
 * rollouts and dollars), the candidates accepted and rejected with the latest decisions and why,
 * and the spend against the cap.
 */
export function OptimizePanel({ progress }: { progress: OptimizeProgress | null }) {
  const tone = useTone();
  if (!progress) return null;
  const p = progress;
  const val = p.bestVal === null ? "—" : pct(p.bestVal);
  const cap =
    p.capUsd === null ? "" : ` of ${formatUsd(p.capUsd)} cap (${Math.round((p.spentUsd / p.capUsd) * 100)}%)`;
  const kept = (p.counts.best ?? 0) + (p.counts.kept ?? 0);
  return (
    <Box flexDirection="column">
      <Text bold>{`optimize (${p.algo}) · step ${p.step}${p.stop ? ` · stopped: ${p.stop}` : ""}`}</Text>
      <Text>
        {"  best "}
        <Text {...tone("green")}>{`#${p.best} at ${val} on val`}</Text>
        {` · ${p.rollouts} rollouts · spent ${formatUsd(p.spentUsd)}${cap}`}
      </Text>
      {p.bests.length > 0 ? (
        <Text>{`  best val so far: ${p.bests.map((b) => `${pct(b.val)} @ ${b.rollouts} rollouts, ${formatUsd(b.usd)}`).join(" → ")}`}</Text>
      ) : null}
      <Text>{`  candidates: ${kept} accepted (${p.counts.best ?? 0} new best, ${p.counts.kept ?? 0} kept on the front) · ${p.counts.rejected ?? 0} rejected`}</Text>
      {p.recent.map((d) => (
        <Text key={d.seq}>
          {`  step ${d.step}${d.candidate === undefined ? "" : ` #${d.candidate}`} `}
          <Text {...tone(d.decision === "rejected" ? "red" : d.decision === "best" ? "green" : "yellow")}>
            {d.decision}
          </Text>
          {`: ${short(d.reason)}`}
        </Text>
      ))}
    </Box>
  );
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

function short(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= REASON ? line : `${line.slice(0, REASON - 1)}…`;
}
