import { XMLParser } from "fast-xml-parser";
import { SaxesParser } from "saxes";
import { binary, type Handler } from "../handler.js";
import { extractXmlCandidates, type XmlCandidate } from "./xml-candidates.js";
import {
  hasDoctypeExternalSubset,
  hasDoctypeInternalSubset,
  isWellFormedDoctype,
  readXmlName,
} from "./xml-names.js";

/**
 * `is-xml` and `contains-xml` (promptfoo src/assertions/xml.ts). `is-xml` checks that the whole
 * output is one well-formed document with a real XML parser (saxes), refusing DTD internal
 * subsets; both then read the XML with fast-xml-parser and look up `requiredElements`, dotted
 * paths from the root such as `analysis.color`. `contains-xml` tries the fragments it finds in
 * the text (see xml-candidates.ts) and passes when one is valid.
 */
interface Validation {
  isValid: boolean;
  reason: string;
  isWellFormed: boolean;
}

function hasElementPath(value: unknown, path: string[]): boolean {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return false;
    if (Array.isArray(current)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || String(index) !== key || current[index] === undefined)
        return false;
      current = current[index];
      continue;
    }
    const record = current as Record<string, unknown>;
    if (record[key] === undefined) return false;
    current = record[key];
  }
  return true;
}

function validateCandidate(xml: string, required: string[] | undefined): Validation {
  const parser = new XMLParser({
    allowBooleanAttributes: true,
    ignoreAttributes: false,
    parseAttributeValue: true,
    parseTagValue: true,
  });
  try {
    const parsed: unknown = parser.parse(xml);
    const missing = (required ?? []).filter((element) => !hasElementPath(parsed, element.split(".")));
    if (missing.length > 0) {
      return {
        isValid: false,
        reason: `XML is missing required elements: ${missing.join(", ")}`,
        isWellFormed: true,
      };
    }
    return { isValid: true, reason: "XML is valid and contains all required elements", isWellFormed: true };
  } catch (error) {
    return { isValid: false, reason: `XML parsing failed: ${(error as Error).message}`, isWellFormed: false };
  }
}

/** Unknown entities of a document with an external DTD stay as written instead of failing. */
function preserveExternalEntityReferences(parser: SaxesParser): void {
  parser.ENTITIES = new Proxy(parser.ENTITIES, {
    get(target, property, receiver) {
      if (
        typeof property === "string" &&
        readXmlName(property, 0)?.end === property.length &&
        !Reflect.has(target, property)
      ) {
        return `&${property};`;
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

export function validateXml(xml: string, required?: string[]): { isValid: boolean; reason: string } {
  let unsupported: string | undefined;
  let doctypeError: string | undefined;
  let standalone = false;
  try {
    const parser = new SaxesParser();
    parser.on("xmldecl", (declaration) => {
      standalone = declaration.standalone === "yes";
    });
    parser.on("doctype", (doctype) => {
      if (hasDoctypeInternalSubset(doctype)) {
        unsupported = "DTD internal subsets are not supported by is-xml validation";
        throw new Error(unsupported);
      }
      if (!isWellFormedDoctype(doctype)) {
        doctypeError = "Malformed DOCTYPE declaration";
        throw new Error(doctypeError);
      }
      if (hasDoctypeExternalSubset(doctype) && !standalone) preserveExternalEntityReferences(parser);
    });
    parser.write(xml).close();
  } catch (error) {
    if (unsupported) return { isValid: false, reason: unsupported };
    const message = doctypeError ?? (error instanceof Error ? error.message : String(error));
    return { isValid: false, reason: `XML parsing failed: ${message}` };
  }
  const { isValid, reason } = validateCandidate(xml, required);
  return { isValid, reason };
}

export function containsXml(text: string, required?: string[]): { isValid: boolean; reason: string } {
  const candidates = extractXmlCandidates(text);
  if (candidates.length === 0) return { isValid: false, reason: "No XML content found in the output" };
  const wellFormed: XmlCandidate[] = [];
  for (const candidate of candidates) {
    if (wellFormed.some((outer) => candidate.start >= outer.start && candidate.end <= outer.end)) continue;
    const { isValid, isWellFormed, reason } = validateCandidate(
      text.slice(candidate.start, candidate.end),
      required,
    );
    if (isValid) return { isValid: true, reason };
    if (isWellFormed) wellFormed.push(candidate);
  }
  return { isValid: false, reason: "No valid XML content found matching the requirements" };
}

/** The required element paths an `is-xml`/`contains-xml` value names, if any. */
export function requiredElements(value: unknown): string[] | undefined {
  if (typeof value === "string") return value.split(",").map((element) => element.trim());
  if (Array.isArray(value) && value.length > 0) return value.map((element) => String(element));
  if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    const listed = (value as { requiredElements?: unknown }).requiredElements;
    if (Array.isArray(listed)) return listed.map((element) => String(element));
    throw new Error("xml assertion must contain a string, array value, or no value");
  }
  return undefined;
}

export const xml: Handler = ({ spec, baseType, value, output, inverse }) => {
  const required = requiredElements(value);
  const result = (baseType === "is-xml" ? validateXml : containsXml)(output, required);
  return binary(spec, result.isValid !== inverse, result.reason);
};
