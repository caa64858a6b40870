import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { dataUrlBytes, type ImageInfo, imageInfo } from "../../providers/image-header.js";
import { imageLimits } from "../../providers/image-limits.js";
import type { ChatMessage, ContentPart } from "../core/types.js";

/** A local image file read for `--image`: checked against the row's provider once its model is known. */
export interface ImageFile {
  /** The value as the row gave it. */
  label: string;
  bytes: number;
  info: ImageInfo;
}

export type ImagePartResult =
  | { ok: true; part: ContentPart; file?: ImageFile }
  | { ok: false; problem: string };

/**
 * An `--image` value as an OpenAI-style image part: an http(s) URL or a data URL as it is, a local
 * path (relative to `cwd`) read and sent as a data URL. A file that is missing or not a PNG, JPEG, GIF
 * or WebP image is a problem; its size is checked against the provider by `imageFileProblem`.
 */
export function imagePart(value: string, cwd: string): ImagePartResult {
  const text = value.trim();
  if (text === "") return { ok: false, problem: "--image is empty in this row" };
  if (/^https?:\/\//i.test(text) || /^data:/i.test(text)) {
    return { ok: true, part: { type: "image_url", image_url: { url: text } } };
  }
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(text)) {
    return { ok: false, problem: `--image ${text}: not an http(s) URL, a data URL or a local file` };
  }
  const path = resolve(cwd, text);
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) return { ok: false, problem: `--image ${text}: not a file` };
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem: `--image ${text}: ${code === "ENOENT" ? "no such file" : `cannot read it (${code})`}`,
    };
  }
  const info = imageInfo(bytes);
  if (!info) return { ok: false, problem: `--image ${text}: ${NOT_AN_IMAGE}` };
  const url = `data:${info.mediaType};base64,${bytes.toString("base64")}`;
  return {
    ok: true,
    part: { type: "image_url", image_url: { url } },
    file: { label: text, bytes: bytes.length, info },
  };
}

/** A file's problem for `provider` (too large), as `--image <path>: …`. */
export function imageFileProblem(file: ImageFile, provider: string): string | undefined {
  const problem = sizeProblem(file.bytes, file.info, provider);
  return problem === undefined ? undefined : `--image ${file.label}: ${problem}`;
}

/** Every image part of a row's messages checked for `provider`: the first problem, or undefined. */
export function imagePartsProblem(messages: readonly ChatMessage[], provider: string): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (typeof message.content === "string") continue;
    for (const [j, part] of message.content.entries()) {
      if (part.type !== "image_url") continue;
      const url = (part.image_url as { url: string }).url;
      const problem = imageUrlProblem(url, provider);
      if (problem !== undefined) return `message ${i + 1}, content part ${j + 1} (image_url): ${problem}`;
    }
  }
  return undefined;
}

const NOT_AN_IMAGE = "not a PNG, JPEG, GIF or WebP image";

/** An image URL's problem: not http(s) or data, or a data URL whose image is unreadable or too large. */
function imageUrlProblem(url: string, provider: string): string | undefined {
  if (/^https?:\/\/[^\s/]+/i.test(url)) return undefined;
  const data = dataUrlBytes(url);
  if (!data) return `${shorten(url)} is not an http(s) URL or a base64 data URL`;
  const info = imageInfo(data.bytes);
  if (!info) return `the data URL's image is ${NOT_AN_IMAGE}`;
  if (data.mediaType !== info.mediaType) {
    return `the data URL says ${data.mediaType || "no type"} but holds a ${info.mediaType.slice(6).toUpperCase()} image`;
  }
  const problem = sizeProblem(data.bytes.length, info, provider);
  return problem === undefined ? undefined : `the data URL's image is ${problem}`;
}

function sizeProblem(bytes: number, info: ImageInfo, provider: string): string | undefined {
  const limits = imageLimits(provider);
  if (bytes > limits.maxBytes) {
    return `${megabytes(bytes)}, more than ${provider} takes (at most ${megabytes(limits.maxBytes)} an image)`;
  }
  if (limits.maxSide !== undefined && Math.max(info.width, info.height) > limits.maxSide) {
    return `${info.width}×${info.height} px, more than ${provider} takes (at most ${limits.maxSide} px a side)`;
  }
  return undefined;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

function shorten(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
