// The design example writes `wait:` at the indentation of the `apps:` list items, right after the
// list, which is not valid YAML ("All mapping items must start at the same column"). That shape is
// documented, so it is recognised here, narrowly, and read as apps.wait with a warning. Nothing else
// is repaired: any other syntax error stays an error.

export interface LegacyAppsWait {
  /** The config with the `wait:` entry blanked out; every offset is unchanged. */
  appsText: string;
  /** Only the `wait:` entry, everything before it blanked; every offset is unchanged. */
  waitText: string;
}

const APPS_KEY = /^apps:\s*(#.*)?$/;
const WAIT_KEY = /^( +)wait:/;

function isInsignificant(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function blank(line: string): string {
  return ' '.repeat(line.length);
}

/** The split texts when `text` has exactly the legacy shape, otherwise undefined. */
export function splitLegacyAppsWait(text: string): LegacyAppsWait | undefined {
  const lines = text.split('\n');
  const appsIndex = lines.findIndex((line) => APPS_KEY.test(line));
  if (appsIndex < 0) return undefined;

  const firstItem = lines.findIndex((line, i) => i > appsIndex && !isInsignificant(line));
  const itemIndent = firstItem < 0 ? -1 : indentOf(lines[firstItem]!);
  if (itemIndent < 1 || !lines[firstItem]!.trimStart().startsWith('- ')) return undefined;

  // The list runs while lines are deeper than the items, or are further `- ` items.
  let waitIndex = firstItem + 1;
  for (; waitIndex < lines.length; waitIndex++) {
    const line = lines[waitIndex]!;
    if (isInsignificant(line)) continue;
    const indent = indentOf(line);
    if (indent > itemIndent || (indent === itemIndent && line.trimStart().startsWith('- '))) continue;
    break;
  }
  const waitMatch = WAIT_KEY.exec(lines[waitIndex] ?? '');
  if (waitMatch === null || waitMatch[1]!.length !== itemIndent) return undefined;

  // The wait entry ends where the next top-level key (or the end of the file) begins.
  let end = waitIndex + 1;
  while (end < lines.length && (isInsignificant(lines[end]!) || indentOf(lines[end]!) > itemIndent)) end++;
  if (end < lines.length && indentOf(lines[end]!) !== 0) return undefined;

  const inWait = (i: number): boolean => i >= waitIndex && i < end;
  return {
    appsText: lines.map((line, i) => (inWait(i) ? blank(line) : line)).join('\n'),
    waitText: lines.map((line, i) => (inWait(i) ? line : blank(line))).join('\n'),
  };
}
