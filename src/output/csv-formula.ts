/**
 * Characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula:
 * OWASP's list for CSV injection. A model's answer is text from outside, and `=HYPERLINK(…)` or
 * `=cmd|…` in it would run when someone opens the results file.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell a spreadsheet shows as the text it is: one that starts like a formula gets a leading `'`,
 * which spreadsheets take as "text" and do not display (OWASP's recommendation).
 */
export function neutralizeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}
