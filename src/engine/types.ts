// The step contract (DESIGN.md "The step contract"). The engine knows nothing about Kubernetes:
// a step is anything with an id, dependencies, a plan, and an apply/verify pair.
import type { PlanLine } from '../report/problems.js';
import type { Ledger } from './ledger.js';

/** A run-time dependency of a step, for the litmus: does it live inside the cluster being rebuilt? */
export interface Use {
  /** What it is, e.g. "secret store gitlab", "tool kubectl". */
  name: string;
  /** Where it is: a URL, host, path or command (never a secret). */
  target: string;
  inCluster: boolean;
  /** Why it is (or is not) in the cluster, in words. */
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** What is missing or wrong, one line each, counted and human ("PV data-pv lacks label environment"). */
  missing: string[];
  /** What verify found in place (when ok): a step left unchanged counts these as unchanged items. */
  checked?: Array<{ kind: string; name: string }>;
  /** What exists but nothing can judge (no rule, no status): listed in the report, never counted healthy. */
  notJudged?: string[];
  /**
   * Set when this cluster has nothing of this step's to judge (a throwaway cluster's verify of the host
   * firewall, which belongs to production): ok stays false, so it never counts as a pass.
   */
  stepNotJudged?: string;
}

export interface StepContext {
  /** Set when the operator interrupts; steps check it between items. */
  signal: AbortSignal;
}

export interface Step<C extends StepContext = StepContext> {
  id: string;
  title: string;
  needs: string[];
  destructive: boolean;
  uses(ctx: C): Promise<Use[]>;
  /** What it would do, with no side effects: one line per intention, and the problems it already sees. */
  plan(ctx: C): Promise<PlanLine[]>;
  apply(ctx: C, ledger: StepLedger): Promise<void>;
  verify(ctx: C): Promise<VerifyResult>;
}

export type ItemOutcome = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped' | 'failed';
export const ITEM_OUTCOMES: readonly ItemOutcome[] = ['created', 'configured', 'unchanged', 'deleted', 'skipped', 'failed'];

export interface LedgerItem {
  step: string;
  /** e.g. "Namespace", "Secret", "nft rule". */
  kind: string;
  /** e.g. "networking", "apps/appdata-pvc". */
  name: string;
  outcome: ItemOutcome;
  error?: string;
  at: string;
}

/** The ledger as one step sees it: records land under that step's id. */
export interface StepLedger {
  record(kind: string, name: string, outcome: ItemOutcome, error?: string): void;
  readonly parent: Ledger;
}

export type StepStatus =
  | 'pending'
  | 'running'
  | 'unchanged'
  | 'applied'
  | 'failed'
  | 'blocked'
  | 'not-selected'
  | 'verified-only'
  | 'interrupted';

export interface StepState {
  id: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  /** For blocked steps: the red step upstream. */
  blockedBy?: string;
  /** Verify's findings after apply (or before, for verified-only steps that fail). */
  missing?: string[];
  /** Verify's NotJudged list (see VerifyResult). */
  notJudged?: string[];
  error?: string;
}

export const GREEN: ReadonlySet<StepStatus> = new Set(['unchanged', 'applied', 'verified-only']);
