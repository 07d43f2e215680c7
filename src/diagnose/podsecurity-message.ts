// Reads a PodSecurity rejection the way the apiserver words it (pod-security-admission's
// "reason (detail), reason (detail)") and turns it into the securityContext changes to make, per container.

export interface PodSecurityRejection {
  /** The pod the admission named, e.g. "cloudflared-5d8f7b9c4-x2x7q". */
  pod?: string;
  /** "restricted:latest" */
  policy: string;
  /** The violated checks, e.g. "allowPrivilegeEscalation != false". */
  violations: string[];
  /** One line a change: 'container "c": set securityContext.allowPrivilegeEscalation=false'. */
  checklist: string[];
}

interface Change {
  /** 'container "c"' or 'pod' */
  target: string;
  action: string;
  /** The pod-level securityContext would do as well (runAsNonRoot, seccompProfile). */
  orPod: boolean;
}

const VIOLATES = /violates PodSecurity "([^"]+)": (.*)$/s;
const POD_NAME = /pods "([^"]+)" is forbidden/;
// "pod or container "c" must set …", "pod and containers "a", "b" must not set …", "container "c" must …"
const SUBJECT = /^(?:(pod) (?:(or|and) )?)?(?:containers? ((?:"[^"]*"(?:, )?)+) )?(must .+)$/s;

/** Splits on ", " outside parentheses: the details themselves hold comma-separated container lists. */
function topLevelItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (depth === 0 && text.startsWith(', ', i)) {
      items.push(text.slice(start, i));
      start = i + 2;
    }
  }
  items.push(text.slice(start));
  return items.map((item) => item.trim()).filter(Boolean);
}

function splitReason(item: string): { reason: string; detail?: string } {
  const open = item.indexOf(' (');
  if (open < 0 || !item.endsWith(')')) return { reason: item };
  return { reason: item.slice(0, open), detail: item.slice(open + 2, -1) };
}

/** "must set X" → "set X"; "must not include X in Y" → "remove X from Y"; "must not set X" → "do not set X". */
function actionOf(requirement: string): string {
  const include = /^must not include (.+) in (\S+)$/s.exec(requirement);
  if (include) return `remove ${include[1]} from ${include[2]}`;
  if (requirement.startsWith('must not set ')) return `do not set ${requirement.slice('must not set '.length)}`;
  if (requirement.startsWith('must set ')) return `set ${requirement.slice('must set '.length)}`;
  return requirement;
}

function changesOf(reason: string, detail: string | undefined, policy: string): Change[] {
  if (detail === undefined) return [{ target: 'pod', action: `remove what violates "${reason}" (not allowed at ${policy})`, orPod: false }];
  return detail.split('; ').flatMap((part): Change[] => {
    const subject = SUBJECT.exec(part);
    if (!subject) return [{ target: 'pod', action: `remove ${reason}: ${part} (not allowed at ${policy})`, orPod: false }];
    const [, pod, joiner, quoted, requirement] = subject;
    const action = actionOf(requirement!);
    const containers = [...(quoted ?? '').matchAll(/"([^"]*)"/g)].map((m) => `container "${m[1]}"`);
    const orPod = pod !== undefined && joiner === 'or';
    const targets = pod !== undefined && !orPod ? ['pod', ...containers] : containers.length > 0 ? containers : ['pod'];
    return targets.map((target) => ({ target, action, orPod }));
  });
}

function checklistOf(changes: readonly Change[]): string[] {
  // Grouped by target, in the order targets first appear, so each container's changes read together.
  const targets = [...new Set(changes.map((c) => c.target))];
  return targets.flatMap((target) =>
    changes
      .filter((c) => c.target === target)
      .map((c) => `${target}: ${c.action}${c.orPod ? " (or once for every container, in the pod's spec.securityContext)" : ''}`),
  );
}

export function parsePodSecurityRejection(message: string): PodSecurityRejection | undefined {
  const match = VIOLATES.exec(message);
  if (!match) return undefined;
  const policy = match[1]!;
  const items = topLevelItems(match[2]!.trim()).map(splitReason);
  return {
    pod: POD_NAME.exec(message)?.[1],
    policy,
    violations: items.map((item) => item.reason),
    checklist: checklistOf(items.flatMap((item) => changesOf(item.reason, item.detail, policy))),
  };
}
