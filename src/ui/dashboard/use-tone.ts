import { useContext } from "react";
import { PaletteContext } from "./palette.js";

export type Tone = "green" | "red" | "yellow" | "cyan" | "gray";

/** Props that colour a `<Text>`, or none at all when colour is off. */
export function useTone(): (tone: Tone) => { color?: Tone } {
  const { color } = useContext(PaletteContext);
  return (tone) => (color ? { color: tone } : {});
}
