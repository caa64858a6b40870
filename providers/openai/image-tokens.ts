/**
 * Image input tokens as OpenAI's vision guide counts them (platform.openai.com/docs/guides/images-vision,
 * "Calculating costs").
 *
 * Tile models (gpt-4o, gpt-4.1, gpt-4.5, o1, o3, gpt-5 …): `detail: "low"` costs the base tokens; otherwise
 * the image is scaled to fit 2048×2048, then so that its shortest side is 768 px (never up), and costs
 * the base plus a tile's tokens per 512-px tile: 85 + 170 a tile (gpt-4o-mini: 2833 + 5667).
 * Patch models (gpt-4.1-mini, gpt-4.1-nano, o4-mini): one token per 32-px patch, at most 1536 (the
 * image scaled down to fit), times the model's multiplier (1.62, 2.46, 1.72).
 */
export function openaiImageTokens(
  model: string,
  size: { width: number; height: number } | undefined,
  detail: string | undefined,
): number {
  const name = model.replace(/^.*\//, "");
  const patch = PATCH_MODELS.find(([pattern]) => pattern.test(name));
  if (patch) return Math.ceil(patches(size) * patch[1]);
  const [base, tile] = /^gpt-4o-mini/.test(name) ? [2833, 5667] : [85, 170];
  if (detail === "low") return base;
  return base + tile * tiles(size);
}

const PATCH_MODELS: [RegExp, number][] = [
  [/^gpt-4\.1-mini/, 1.62],
  [/^gpt-4\.1-nano/, 2.46],
  [/^o4-mini/, 1.72],
];

/** 512-px tiles after the two scalings; an image of unknown size counts as the most tiles any image can take (2×4 … 8). */
function tiles(size: { width: number; height: number } | undefined): number {
  if (!size) return 8;
  let { width, height } = size;
  const fit = Math.min(1, 2048 / Math.max(width, height));
  width *= fit;
  height *= fit;
  const shortest = Math.min(1, 768 / Math.min(width, height));
  width *= shortest;
  height *= shortest;
  return Math.ceil(width / 512) * Math.ceil(height / 512);
}

/** 32-px patches, at most 1536 (the image scaled down to fit); an unknown size counts as 1536. */
function patches(size: { width: number; height: number } | undefined): number {
  if (!size) return 1536;
  const { width, height } = size;
  const raw = Math.ceil(width / 32) * Math.ceil(height / 32);
  if (raw <= 1536) return raw;
  let shrink = Math.sqrt((1536 * 32 * 32) / (width * height));
  // Scaled so that a whole number of patches fits the width, as the guide does.
  shrink *= Math.floor((width * shrink) / 32) / ((width * shrink) / 32);
  return Math.min(1536, Math.ceil((width * shrink) / 32) * Math.ceil((height * shrink) / 32));
}
