// A problem as a record, the same for every command that names one (plan, lint, verify, diagnose, a
// bad config): where it is, what is wrong, and what to do. Human output renders it as the sentence it
// always was; -o json|yaml carries the fields.

export interface ProblemRecord {
  /** The step whose plan, verify or check found it. */
  step?: string;
  /** Which check (preflight: namespaces, podsecurity, objects...; a config: config). */
  check?: string;
  /** The object it is about: "Deployment networking/cloudflared", "PV appdata-pv". */
  object?: string;
  file?: string;
  line?: number;
  column?: number;
  /** A config field path: "cluster.servers". */
  field?: string;
  message: string;
  fix?: string;
}

/** The one sentence a person reads: the message, then the fix. */
export function problemSentence(problem: Pick<ProblemRecord, 'message' | 'fix'>): string {
  return problem.fix ? `${problem.message}; ${problem.fix}` : problem.message;
}

/** A record without its empty fields (a line of 0 means "the config as a whole", not a line). */
export function problemRecord(problem: ProblemRecord): ProblemRecord {
  const out: Record<string, unknown> = {};
  for (const key of ['step', 'check', 'object', 'file', 'line', 'column', 'field', 'message', 'fix'] as const) {
    const value = problem[key];
    if (value !== undefined && value !== '' && value !== 0) out[key] = value;
  }
  return { ...out, message: problem.message } as ProblemRecord;
}

/** A line of a step's plan: what it would do, or a problem it already sees. */
export type PlanLine = string | { problem: ProblemRecord };

export function isPlanProblem(line: PlanLine): line is { problem: ProblemRecord } {
  return typeof line !== 'string';
}

/** The plan line as plan prints it. */
export function planLineText(line: PlanLine): string {
  return isPlanProblem(line) ? `PROBLEM: ${problemSentence(line.problem)}` : line;
}
