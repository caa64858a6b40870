import { TextDecoder } from "node:util";
import { UsageError } from "../core/errors.js";

/** Encodings named in help and messages; any other WHATWG label (iso-8859-15, shift_jis …) works too. */
export const COMMON_ENCODINGS = ["utf-8", "cp1252", "latin1", "utf-16le", "utf-16be"] as const;

/** The names people write for an encoding, and the WHATWG label TextDecoder knows it by. */
const ALIASES: Record<string, string> = {
  utf8: "utf-8",
  cp1252: "windows-1252",
  "latin-1": "windows-1252",
  ansi: "windows-1252",
  utf16: "utf-16",
  utf16le: "utf-16le",
  utf16be: "utf-16be",
};

/**
 * `--encoding`: the canonical name of an input encoding (`utf-8`, `windows-1252`, `utf-16le`,
 * `utf-16be`, or `utf-16`: little-endian unless a byte-order mark says otherwise). Latin-1 is read as
 * Windows-1252, its superset, as browsers do.
 */
export function inputEncoding(name: string): string {
  const wanted = name.trim().toLowerCase();
  const label = ALIASES[wanted] ?? wanted;
  if (label === "utf-16") return label;
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new UsageError(
      `--encoding "${name}" is not an encoding metasync knows (e.g. ${COMMON_ENCODINGS.join(", ")})`,
    );
  }
}
