import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { dataUrlBytes, type ImageInfo, imageInfo } from "../../providers/image-header.js";
import { imageLimits } from "../../providers/image-limits.js";
import type { ChatMessage, ContentPart } from "../core/types.js";

export type ImagePartResult = { ok: true; part: ContentPart } | { ok: false; problem: string };

/**
 * An `--image` value as an OpenAI-style image part: an http(s) URL or a data URL as it is, a local
 * path (relative to `cwd`) read, checked and sent as a data URL. A file that is missing, not a PNG,
 * JPEG, GIF or WebP image, or too large for `provider` is a problem.
 */
export function imagePart(value: string, provider: string, cwd: string): ImagePartResult {
  const text = value.trim();
  if (text === "") return { ok: false, problem: "--image is empty in this row" };
  if (/^https?:\/\//i.test(text) || /^data:/i.test(text)) {
    const part: ContentPart = { type: "image_url", image_url: { url: text } };
    const problem = imageUrlProblem(text, provider);
    return problem === undefined ? { ok: true, part } : { ok: false, problem: `--image: ${problem}` };
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
  const problem = info ? sizeProblem(bytes.length, info, provider) : NOT_AN_IMAGE;
  if (problem !== undefined) return { ok: false, problem: `--image ${text}: ${problem}` };
  const url = `data:${(info as ImageInfo).mediaType};base64,${bytes.toString("base64")}`;
  return { ok: true, part: { type: "image_url", image_url: { url } } };
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
