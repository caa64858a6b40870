/**
 * An image's type and size in pixels, read from its first bytes (no decoding): PNG's IHDR, GIF's
 * logical screen, WebP's VP8/VP8L/VP8X header, JPEG's first start-of-frame marker. Hand-written
 * rather than a package: four formats, the header bytes a data URL or file already holds, and the
 * providers take nothing else (PNG, JPEG, GIF and WebP are what OpenAI and Anthropic accept).
 */
export interface ImageInfo {
  mediaType: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  width: number;
  height: number;
}

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;

/** The type and dimensions, or undefined when the bytes are none of the four formats (or cut short). */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, length: number) =>
    at + length <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + length)) : "";
  if (ascii(1, 3) === "PNG" && bytes[0] === 0x89 && ascii(12, 4) === "IHDR" && bytes.length >= 24) {
    return sized("image/png", view.getUint32(16), view.getUint32(20));
  }
  if ((ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a") && bytes.length >= 10) {
    return sized("image/gif", view.getUint16(6, true), view.getUint16(8, true));
  }
  if (ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") return webp(bytes, view, ascii(12, 4));
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg(bytes, view);
  return undefined;
}

function sized(mediaType: ImageInfo["mediaType"], width: number, height: number): ImageInfo | undefined {
  return width > 0 && height > 0 ? { mediaType, width, height } : undefined;
}

function webp(bytes: Uint8Array, view: DataView, chunk: string): ImageInfo | undefined {
  if (chunk === "VP8X" && bytes.length >= 30) {
    const width = 1 + (view.getUint16(24, true) | ((bytes[26] as number) << 16));
    const height = 1 + (view.getUint16(27, true) | ((bytes[29] as number) << 16));
    return sized("image/webp", width, height);
  }
  if (chunk === "VP8 " && bytes.length >= 30) {
    return sized("image/webp", view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
  }
  if (chunk === "VP8L" && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return sized("image/webp", (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  return undefined;
}

/** JPEG: walks the markers to the first start of frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpeg(bytes: Uint8Array, view: DataView): ImageInfo | undefined {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized("image/jpeg", view.getUint16(at + 7), view.getUint16(at + 5));
    }
    at += 2 + length;
  }
  return undefined;
}

/**
 * A `data:` URL's media type and bytes (base64 only), or undefined when it is not one. `headOnly`
 * decodes only the first 48 KB, enough for a header (a JPEG whose frame header comes later is read whole).
 */
export function dataUrlBytes(
  url: string,
  headOnly = false,
): { mediaType: string; bytes: Uint8Array } | undefined {
  const match = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*);base64,/i.exec(url);
  if (!match) return undefined;
  const start = match[0].length;
  const end = headOnly ? Math.min(url.length, start + 65_536) : url.length;
  return { mediaType: (match[1] ?? "").toLowerCase(), bytes: Buffer.from(url.slice(start, end), "base64") };
}

/** The dimensions of a data URL's image, reading as little of it as it can; undefined for a URL or an unknown format. */
export function dataUrlImage(url: string): ImageInfo | undefined {
  const head = dataUrlBytes(url, true);
  if (!head) return undefined;
  return (
    imageInfo(head.bytes) ??
    (head.bytes.length >= 49_152 ? imageInfo(dataUrlBytes(url)?.bytes ?? head.bytes) : undefined)
  );
}
