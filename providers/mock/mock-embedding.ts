/** Dimensions of the mock's embeddings. */
export const MOCK_EMBEDDING_DIMENSIONS = 64;

/**
 * A deterministic embedding for offline tests (the `mock` provider and `metasync mock-server`'s
 * `/v1/embeddings`): the text's lower-cased words hashed into 64 signed buckets, normalised to length
 * 1. Texts that share words point the same way (cosine near 1), texts without a common word are
 * near 0, and the same text always gets the same vector. An empty text is the zero vector.
 */
export function mockEmbedding(text: string): number[] {
  const vector = new Array<number>(MOCK_EMBEDDING_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const hash = fnv1a(word);
    const bucket = hash % MOCK_EMBEDDING_DIMENSIONS;
    vector[bucket] = (vector[bucket] ?? 0) + ((hash >>> 16) & 1 ? 1 : -1);
  }
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((x) => x / length);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
