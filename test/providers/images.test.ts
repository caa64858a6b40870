import { describe, expect, it } from "vitest";
import { anthropicImageTokens } from "../../providers/anthropic/image-tokens.js";
import { dataUrlImage, imageInfo } from "../../providers/image-header.js";
import { openaiImageTokens } from "../../providers/openai/image-tokens.js";
import { dataUrl, jpegHead, pngImage } from "../support/images.js";

describe("imageInfo: type and size from the header", () => {
  it("reads PNG, JPEG, GIF and WebP", () => {
    expect(imageInfo(pngImage(640, 480))).toEqual({ mediaType: "image/png", width: 640, height: 480 });
    expect(imageInfo(jpegHead(2048, 768))).toEqual({ mediaType: "image/jpeg", width: 2048, height: 768 });
    const gif = Buffer.from([...Buffer.from("GIF89a"), 0x2c, 0x01, 0x90, 0x00, 0, 0, 0]);
    expect(imageInfo(gif)).toEqual({ mediaType: "image/gif", width: 300, height: 144 });
    const riff = (chunk: string, body: number[]) =>
      Buffer.from([...Buffer.from("RIFF"), 0, 0, 0, 0, ...Buffer.from(`WEBP${chunk}`), 0, 0, 0, 0, ...body]);
    // VP8X: 24-bit width-1 and height-1 at bytes 24 and 27.
    const vp8x = riff("VP8X", [0, 0, 0, 0, 0x1f, 0x03, 0x00, 0xdf, 0x01, 0x00]);
    expect(imageInfo(vp8x)).toEqual({ mediaType: "image/webp", width: 800, height: 480 });
    // VP8L: 14 bits width-1, 14 bits height-1 after the signature byte.
    const bits = (100 - 1) | ((50 - 1) << 14);
    const vp8l = riff("VP8L", [
      0x2f,
      bits & 0xff,
      (bits >> 8) & 0xff,
      (bits >> 16) & 0xff,
      (bits >> 24) & 0xff,
    ]);
    expect(imageInfo(vp8l)).toEqual({ mediaType: "image/webp", width: 100, height: 50 });
  });

  it("says nothing of what is not an image, or is cut short", () => {
    expect(imageInfo(Buffer.from("hello, world"))).toBeUndefined();
    expect(imageInfo(pngImage(10, 10).subarray(0, 20))).toBeUndefined();
    expect(dataUrlImage("https://example.com/a.png")).toBeUndefined();
    expect(dataUrlImage(dataUrl("image/png", pngImage(33, 44)))).toMatchObject({ width: 33, height: 44 });
  });
});

// The worked examples of each provider's vision guide.
describe("image tokens", () => {
  it("OpenAI tile models: 85 + 170 a 512-px tile after scaling; low detail 85", () => {
    expect(openaiImageTokens("gpt-4o", { width: 1024, height: 1024 }, undefined)).toBe(765);
    expect(openaiImageTokens("gpt-4o", { width: 2048, height: 4096 }, "high")).toBe(1105);
    expect(openaiImageTokens("gpt-4o", { width: 4096, height: 8192 }, "low")).toBe(85);
    expect(openaiImageTokens("gpt-4o-mini", { width: 1024, height: 1024 }, undefined)).toBe(2833 + 4 * 5667);
    expect(openaiImageTokens("gpt-4o", undefined, undefined)).toBe(85 + 8 * 170);
  });

  it("OpenAI patch models: 32-px patches up to 1536, times the model's multiplier", () => {
    expect(openaiImageTokens("gpt-4.1-mini", { width: 1024, height: 1024 }, undefined)).toBe(
      Math.ceil(1024 * 1.62),
    );
    expect(openaiImageTokens("gpt-4.1-nano", { width: 1800, height: 2400 }, undefined)).toBe(
      Math.ceil(1452 * 2.46),
    );
  });

  it("Anthropic: width × height / 750, scaled to at most ~1,600 tokens and 1568 px", () => {
    expect(anthropicImageTokens({ width: 200, height: 200 })).toBe(54);
    expect(anthropicImageTokens({ width: 1000, height: 1000 })).toBe(1334);
    expect(anthropicImageTokens({ width: 1092, height: 1092 })).toBe(1590);
    expect(anthropicImageTokens({ width: 4000, height: 3000 })).toBe(1600);
    expect(anthropicImageTokens(undefined)).toBe(1600);
  });
});
