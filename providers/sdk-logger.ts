/**
 * Where the SDKs' own log goes (`OPENAI_LOG=debug`, `ANTHROPIC_LOG=debug`): stderr, every level.
 * Their default logger is `console`, whose `info` and `debug` print on stdout, the results channel
 * (`metasync run … | jq` would read log lines as results). The SDKs mask keys in what they log.
 */
export const sdkLogger = {
  error: (message: string, ...rest: unknown[]) => console.error(message, ...rest),
  warn: (message: string, ...rest: unknown[]) => console.error(message, ...rest),
  info: (message: string, ...rest: unknown[]) => console.error(message, ...rest),
  debug: (message: string, ...rest: unknown[]) => console.error(message, ...rest),
};
