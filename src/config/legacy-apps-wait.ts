// An older shape of the config example wrote `wait:` at the indentation of the `apps:` list items,
// right after the list. That is not valid YAML ("All mapping items must start at the same column"),
// and the parser's own message does not say how to fix it. This recognises that one shape, narrowly,
// so that the syntax error names the fix. Nothing is repaired: the config stays invalid.

const APPS_KEY = /^apps:\s*(#.*)?$/;
const WAIT_KEY = /^( +)wait:/;

function isInsignificant(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export const APPS_WAIT_BESIDE_LIST_FIX =
  'apps.wait: a "wait:" beside the apps list items is not valid YAML; write apps as a mapping: ' +
  'apps: { items: [<the list>], wait: { timeout: 10m } }';

/** The 0-based line of a `wait:` written beside the apps list items, when `text` has exactly that shape. */
export function findAppsWaitBesideList(text: string): number | undefined {
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
  return waitIndex;
}
