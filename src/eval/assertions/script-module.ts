import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

/**
 * Loads a JavaScript assertion file as promptfoo does (src/esm.ts `importModule`,
 * src/assertions/utils.ts `loadFromJavaScriptFile`): an ES import, then `require` if that fails;
 * the function is the named export when `file://x.js:name` names one, else the module itself,
 * else its default export.
 */
export function loadScriptFunction(
  filePath: string,
  functionName: string | undefined,
): Promise<(...args: unknown[]) => unknown> {
  const key = `${filePath}\u0000${functionName ?? ""}`;
  let loaded = loadedScripts.get(key);
  if (!loaded) {
    loaded = loadScript(filePath, functionName);
    // A file that fails to load is tried again next time (it may be fixed, or the error be passing).
    loaded.catch(() => loadedScripts.delete(key));
    loadedScripts.set(key, loaded);
  }
  return loaded;
}

/** Each file's function once: Node caches the module, but an `import()` per row costs about 10 µs. */
const loadedScripts = new Map<string, Promise<(...args: unknown[]) => unknown>>();

async function loadScript(filePath: string, functionName: string | undefined) {
  let imported: unknown;
  try {
    imported = await import(pathToFileURL(filePath).href);
  } catch (importError) {
    try {
      imported = require(filePath);
    } catch {
      throw importError;
    }
  }
  const mod = unwrapDefault(imported);
  // promptfoo looks the name up on the unwrapped module only; an ES module with both a default
  // and named exports is also searched by name here, where promptfoo fails.
  const candidate = functionName
    ? ((mod as Record<string, unknown> | undefined)?.[functionName] ??
      (imported as Record<string, unknown> | undefined)?.[functionName])
    : mod;
  if (typeof candidate === "function") return candidate as (...args: unknown[]) => unknown;
  const fallback = (candidate as { default?: unknown } | undefined)?.default;
  if (!functionName && typeof fallback === "function") return fallback as (...args: unknown[]) => unknown;
  throw new Error(
    functionName
      ? `Assertion malformed: ${filePath} must export a function named "${functionName}"`
      : `Assertion malformed: ${filePath} must export a function or have a default export as a function`,
  );
}

/** `module.default.default`, else `module.default`, else the module: CommonJS seen through ESM. */
function unwrapDefault(imported: unknown): unknown {
  const outer = imported as { default?: { default?: unknown } } | undefined;
  return outer?.default?.default || outer?.default || imported;
}
