// Reads kube-scheduler's FailedScheduling message (framework.FitError):
// "0/N nodes are available: <PreFilter reason>. | <count> <reason>, <count> <reason>. preemption: …".

export type BlockKind = 'volume' | 'resources' | 'node-selector' | 'taint' | 'unschedulable-node' | 'other';

export interface SchedulingBlock {
  /** How many nodes gave this reason (all of them for a PreFilter rejection). */
  nodes: number;
  reason: string;
  kind: BlockKind;
  /** resources: the resource ("cpu", "pods"); taint: "key=value". */
  subject?: string;
  /** taint: the key and the value, when the scheduler named them. */
  taint?: { key: string; value: string };
}

export interface SchedulingFailure {
  totalNodes: number;
  blocks: SchedulingBlock[];
}

const FIT_ERROR = /^0\/(\d+) nodes are available: (.*)$/s;
const VOLUME_REASONS = [
  'pod has unbound immediate PersistentVolumeClaims',
  "didn't find available persistent volumes to bind",
  "didn't match PersistentVolume's node affinity",
  'bound to non-existent pv',
  'did not have enough free storage',
];

export function classifyBlock(nodes: number, reason: string): SchedulingBlock {
  if (VOLUME_REASONS.some((text) => reason.includes(text))) return { nodes, reason, kind: 'volume' };
  const insufficient = /^Insufficient (\S+)$/.exec(reason);
  if (insufficient) return { nodes, reason, kind: 'resources', subject: insufficient[1] };
  if (reason === 'Too many pods') return { nodes, reason, kind: 'resources', subject: 'pods' };
  if (reason.includes("didn't match Pod's node affinity/selector")) return { nodes, reason, kind: 'node-selector' };
  const taint = /had untolerated taint \{(.*?): (.*)\}$/s.exec(reason);
  if (taint) {
    const [key, value] = [taint[1]!, taint[2]!];
    return { nodes, reason, kind: 'taint', subject: value ? `${key}=${value}` : key, taint: { key, value } };
  }
  if (reason.includes("had taints that the pod didn't tolerate")) return { nodes, reason, kind: 'taint' };
  if (reason.includes('were unschedulable')) return { nodes, reason, kind: 'unschedulable-node' };
  return { nodes, reason, kind: 'other' };
}

export function parseFailedScheduling(message: string): SchedulingFailure | undefined {
  if (message.trim() === 'no nodes available to schedule pods') {
    return { totalNodes: 0, blocks: [{ nodes: 0, reason: 'no nodes available to schedule pods', kind: 'other' }] };
  }
  const match = FIT_ERROR.exec(message.trim());
  if (!match) return undefined;
  const totalNodes = Number(match[1]);
  // What preemption says ("Preemption is not helpful …") is about other pods, not this one's block.
  const body = match[2]!.split(' preemption: ')[0]!.trim().replace(/\.$/, '');
  // Per-node reasons come as "<count> <reason>"; a PreFilter reason has no count and covers every node.
  const parts = body.split(/, (?=\d+ )/).filter(Boolean);
  const blocks = parts.map((part) => {
    const counted = /^(\d+) (.+)$/s.exec(part);
    return counted ? classifyBlock(Number(counted[1]), counted[2]!) : classifyBlock(totalNodes, part);
  });
  return { totalNodes, blocks };
}
