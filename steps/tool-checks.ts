// Preflight's tool check: every program a selected step declares (a `tool NAME` use) must exist and
// answer its version command before anything is destroyed. The list comes from the steps themselves, so
// an unselected step's tools (nft when the firewall is not run) are never asked for.
import type { Step, Use } from '../src/engine/types.js';
import { errorMessage } from '../src/util/errors.js';
import { checkTool, toolCheckKey, toolSourceOf, type ToolCheck, type ToolSource } from '../src/util/tools.js';
import type { RecoveryContext } from './context.js';
import type { Problem } from './preflight-checks.js';

const TOOL_USE = /^tool (\S+)/;

/** Tool name → the ids of the steps that run it, from the steps' declared uses. */
export async function toolsOfSteps(steps: readonly Step<RecoveryContext>[], ctx: RecoveryContext): Promise<{ tools: Map<string, string[]>; problems: Problem[] }> {
  const tools = new Map<string, string[]>();
  const problems: Problem[] = [];
  for (const step of steps) {
    let uses: Use[];
    try {
      uses = await step.uses(ctx);
    } catch (err) {
      problems.push({ check: 'tools', subject: `step ${step.id}`, message: `cannot list the tools step ${step.id} runs: ${errorMessage(err)}` });
      continue;
    }
    for (const use of uses) {
      if (!TOOL_USE.test(use.name)) continue;
      const users = tools.get(use.target) ?? [];
      if (!users.includes(step.id)) users.push(step.id);
      tools.set(use.target, users);
    }
  }
  return { tools, problems };
}

/**
 * Each run's tool checks, made once per tool: preflight verifies, applies (the key backup) and verifies
 * again, and nothing it applies changes a program on this machine. Under load each version command
 * cost a second of the RTO, three times over.
 */
const checksOfRun = new WeakMap<RecoveryContext, Map<string, Promise<ToolCheck>>>();

function checkToolOnce(ctx: RecoveryContext, tool: string, source: ToolSource): Promise<ToolCheck> {
  let checks = checksOfRun.get(ctx);
  if (!checks) checksOfRun.set(ctx, (checks = new Map()));
  const key = toolCheckKey(tool, source);
  let check = checks.get(key);
  if (!check) checks.set(key, (check = checkTool(tool, source)));
  return check;
}

/** One problem per selected step's tool that is missing, does not answer or is out of range, naming how to get it. */
export async function toolProblems(ctx: RecoveryContext, env: NodeJS.ProcessEnv = process.env): Promise<Problem[]> {
  const { tools, problems } = await toolsOfSteps(ctx.selectedSteps ?? [], ctx);
  const source = toolSourceOf(ctx.config, env);
  const checks = await Promise.all([...tools.keys()].sort().map((tool) => checkToolOnce(ctx, tool, source)));
  for (const check of checks) {
    if (check.ok) continue;
    problems.push({ check: 'tools', subject: `tool ${check.tool}`, message: `${check.detail} (run by ${tools.get(check.tool)!.join(', ')})` });
  }
  return problems;
}
