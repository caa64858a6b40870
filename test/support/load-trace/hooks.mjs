// Module resolution hooks (they run on the loader thread): log each resolved URL, change nothing.
import { appendFileSync } from "node:fs";

const log = process.env.METASYNC_LOAD_LOG;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
