/**
 * Histogram bucket bounds of the OpenTelemetry GenAI semantic conventions, used for the Prometheus
 * file too so that both show the same shape: request durations in seconds (10 ms doubling to 82 s)
 * and token counts (powers of four).
 */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

export const TOKEN_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
