import { Text } from "ink";
import { textBar } from "../../core/format/table.js";
import { type Tone, useTone } from "./use-tone.js";

export interface MeterProps {
  fraction: number;
  width: number;
  tone?: Tone;
}

/** A bar of `width` cells filled to `fraction`. */
export function Meter({ fraction, width, tone = "green" }: MeterProps) {
  const toneProps = useTone();
  const bar = textBar(fraction, width);
  const filled = bar.indexOf("░") === -1 ? bar.length : bar.indexOf("░");
  return (
    <Text>
      <Text {...toneProps(tone)}>{bar.slice(0, filled)}</Text>
      <Text {...toneProps("gray")}>{bar.slice(filled)}</Text>
    </Text>
  );
}
