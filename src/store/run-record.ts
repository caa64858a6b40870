/** A run as the state database records it. */
export type RunStatus = "ingesting" | "open" | "finished";

export interface RunRecord {
  id: string;
  key: string;
  name: string | null;
  inputPath: string;
  inputFingerprint: string | null;
  optionsFingerprint: string;
  /** The request-shaping options, for messages that say what changed. */
  options: Record<string, unknown>;
  csvHeader: string[] | null;
  status: RunStatus;
  total: number;
  createdAt: number;
  updatedAt: number;
}

export interface ItemCounts {
  total: number;
  ok: number;
  failed: number;
  pending: number;
}

export interface RunRow {
  id: string;
  key: string;
  name: string | null;
  input_path: string;
  input_fingerprint: string | null;
  options_fingerprint: string;
  options_json: string;
  csv_header: string | null;
  status: RunStatus;
  total: number;
  created_at: number;
  updated_at: number;
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    inputPath: row.input_path,
    inputFingerprint: row.input_fingerprint,
    optionsFingerprint: row.options_fingerprint,
    options: JSON.parse(row.options_json) as Record<string, unknown>,
    csvHeader: row.csv_header === null ? null : (JSON.parse(row.csv_header) as string[]),
    status: row.status,
    total: row.total,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
