// `homelab-dr completion bash|zsh|fish`: the scripts come from the flag tables. The bash script is
// sourced in a real bash and asked for candidates the way bash asks (COMP_WORDS, COMP_CWORD, COMPREPLY).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS } from '../../src/cli/flags.js';

const cli = resolve('bin/homelab-dr.js');

function script(shell: string): string {
  const r = spawnSync(process.execPath, [cli, 'completion', shell], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** What the completion function offers for `words`, the last one being the word under the cursor. */
function bashCandidates(completion: string, words: string[]): string[] {
  const program = `${completion}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
COMP_LINE='${words.join(' ')}'
COMP_POINT=\${#COMP_LINE}
_homelab_dr
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('bash completion, in a real bash', () => {
  const completion = script('bash');

  it('registers itself for homelab-dr', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `${completion}\ncomplete -p homelab-dr`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _homelab_dr homelab-dr');
  });

  it('offers the commands, and completes a prefix', () => {
    expect(bashCandidates(completion, ['homelab-dr', ''])).toEqual(Object.keys(COMMAND_SPECS).sort());
    expect(bashCandidates(completion, ['homelab-dr', 'd'])).toEqual(['diagnose', 'dr-test', 'drill']);
  });

  it("offers a command's own flags only: seal has --raw and no --keep", () => {
    const seal = bashCandidates(completion, ['homelab-dr', 'seal', '--']);
    expect(seal).toContain('--raw');
    expect(seal).toContain('--controller-namespace');
    expect(seal).toContain('--config');
    expect(seal).not.toContain('--keep');
    expect(bashCandidates(completion, ['homelab-dr', 'dr-test', '--k'])).toEqual(['--keep']);
    expect(bashCandidates(completion, ['homelab-dr', '-c', 'x.yaml', 'status', '--f'])).toEqual(['--follow']);
  });

  it('completes flag values and positionals from the tables', () => {
    expect(bashCandidates(completion, ['homelab-dr', 'plan', '--provider', ''])).toEqual(['existing', 'k3d', 'kwok']);
    expect(bashCandidates(completion, ['homelab-dr', 'seal', '--scope', 'c'])).toEqual(['cluster-wide']);
    expect(bashCandidates(completion, ['homelab-dr', 'verify', '-o', ''])).toEqual(['json', 'yaml']);
    expect(bashCandidates(completion, ['homelab-dr', 'completion', ''])).toEqual(['bash', 'fish', 'zsh']);
    expect(bashCandidates(completion, ['homelab-dr', 'schedule', 'p'])).toEqual(['print']);
  });
});

describe('zsh and fish', () => {
  it('zsh loads the same function through bashcompinit', () => {
    const zsh = script('zsh');
    expect(zsh.startsWith('#compdef homelab-dr\n')).toBe(true);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -F _homelab_dr homelab-dr');
  });

  it("fish gets each command's flags under that command only", () => {
    const fish = script('fish');
    expect(fish).toContain("complete -c homelab-dr -n '__fish_use_subcommand' -a seal");
    expect(fish).toContain("complete -c homelab-dr -n '__fish_seen_subcommand_from seal' -l raw");
    expect(fish).not.toContain("complete -c homelab-dr -n '__fish_seen_subcommand_from seal' -l keep");
    expect(fish).toContain("complete -c homelab-dr -n '__fish_seen_subcommand_from diagnose' -l namespace -s n -r -f");
  });

  it('an unknown shell is exit 2 with a did-you-mean', () => {
    const r = spawnSync(process.execPath, [cli, 'completion', 'bsh'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('completion takes one shell: bash | zsh | fish, not "bsh"; did you mean "bash"?');
  });
});
