export declare const HEAVY_PACKAGES: string[];

export interface PackageTrace {
  status: number | null;
  stdout: string;
  stderr: string;
  urls: string[];
  packages: string[];
}

export declare function tracePackages(args: string[], options?: { cwd?: string }): PackageTrace;
