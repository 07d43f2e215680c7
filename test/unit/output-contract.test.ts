// Issue 14 §6: one machine-readable contract. The envelope reads back the same as JSON, as YAML 1.2 and
// as kubectl's YAML 1.1; problems are records; a bug is exit 70 with one line (the stack only with -v);
// a bad config under -o is a kind: Error envelope with file, line and field on stdout.
import { parse } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { exitCodeForError, EXIT_INTERNAL, stdoutDocument } from '../../src/cli/exit.js';
import { envelope, OUTPUT_API_VERSION, renderEnvelope } from '../../src/cli/output.js';
import { parseConfig } from '../../src/config/load.js';
import { loadKubeYaml } from '../../src/k8s/yaml11.js';
import { planLineText, problemRecord, problemSentence } from '../../src/report/problems.js';
import { InputError, InterruptedError, RefusedError } from '../../src/util/errors.js';
import { clearSecretsForTest, registerSecret } from '../../src/util/secrets-registry.js';

function capture(): { streams: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    streams: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

describe('envelope', () => {
  // Values that a careless YAML writer would let a 1.1 reader take for a boolean, a number or octal.
  const body = { cluster: 'yes', ok: true, mode: '0400', version: '1.10', steps: [{ id: 'on', plan: ['no', '1:20'] }], problems: [problemRecord({ step: 'storage', object: 'PV x', message: 'PV x lacks label environment=prod' })] };
  const value = envelope('Plan', 'plan', body, new Date('2026-01-02T03:04:05Z'));

  it('carries apiVersion, kind and metadata, and reads back the same as JSON, YAML 1.2 and YAML 1.1', () => {
    const expected = { apiVersion: OUTPUT_API_VERSION, kind: 'Plan', metadata: { command: 'plan', homelabDrVersion: expect.any(String), generatedAt: '2026-01-02T03:04:05.000Z' }, ...body };
    expect(JSON.parse(renderEnvelope(value, 'json'))).toEqual(expected);
    const yaml = renderEnvelope(value, 'yaml');
    expect(parse(yaml)).toEqual(expected);
    expect(loadKubeYaml(yaml, 'out.yaml').value).toEqual(expected);
    expect(yaml.startsWith(`apiVersion: ${OUTPUT_API_VERSION}\nkind: Plan\n`)).toBe(true);
  });

  it('drops fields that hold undefined rather than writing null', () => {
    const withHole = envelope('Status', 'status', { exitCode: undefined, steps: [] });
    expect(JSON.parse(renderEnvelope(withHole, 'json'))).not.toHaveProperty('exitCode');
    expect(parse(renderEnvelope(withHole, 'yaml'))).not.toHaveProperty('exitCode');
  });
});

describe('problem records', () => {
  it('keep only the fields that say something, in a stable order, and render as the sentence they always were', () => {
    const record = problemRecord({ fix: 'declare it', message: 'namespace tunnels is not declared', line: 0, file: '', step: 'preflight', check: 'namespaces' });
    expect(Object.keys(record)).toEqual(['step', 'check', 'message', 'fix']);
    expect(problemSentence(record)).toBe('namespace tunnels is not declared; declare it');
    expect(planLineText({ problem: record })).toBe('PROBLEM: namespace tunnels is not declared; declare it');
    expect(planLineText('apply 3 namespaces')).toBe('apply 3 namespaces');
  });

  it('a config error carries file, line, column and field apart from its message', () => {
    let thrown: unknown;
    try {
      parseConfig('apiVersion: homelab-dr/v1\nkind: RecoveryPlan\ncluster:\n  name: homelab\n  servers: two\n', '/etc/homelab.yaml', { checkFiles: false });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InputError);
    const problems = (thrown as InputError).problems;
    expect(problems).toContainEqual(expect.objectContaining({ check: 'config', file: '/etc/homelab.yaml', line: 5, field: 'cluster.servers' }));
    // The human lines are unchanged: file:line:col: field: message.
    expect((thrown as InputError).details).toContainEqual(expect.stringMatching(/^\/etc\/homelab\.yaml:5:\d+: cluster\.servers: /));
  });
});

describe('exitCodeForError', () => {
  it('a bug (a TypeError) is exit 70: one line asking for a report, no stack without -v', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'metadata')");
    const plain = capture();
    expect(await exitCodeForError(bug, {}, plain.streams)).toBe(EXIT_INTERNAL);
    expect(EXIT_INTERNAL).toBe(70);
    expect(plain.err()).toBe(
      "homelab-dr: internal error: TypeError: Cannot read properties of undefined (reading 'metadata')\n" +
        '  this is a bug in homelab-dr (exit 70): please report it with the command you ran and its output with -v\n',
    );
    expect(plain.out()).toBe('');
    const verbose = capture();
    expect(await exitCodeForError(bug, { verbose: true }, verbose.streams)).toBe(70);
    expect(verbose.err()).toContain(bug.stack!.split('\n')[1]!);
  });

  it('with -o json a bug, a refusal and a bad input are a kind: Error envelope on stdout, each with its exit code', async () => {
    const cases: Array<[unknown, number, string]> = [
      [new RangeError('boom'), 70, 'InternalError'],
      [new RefusedError('hard-reset refuses', ['a detail']), 3, 'Refused'],
      [new InputError('config x is invalid (1 error)', ['x:3:1: cluster: bad'], [problemRecord({ check: 'config', file: 'x', line: 3, column: 1, field: 'cluster', message: 'bad' })]), 2, 'BadInput'],
    ];
    for (const [err, code, reason] of cases) {
      const c = capture();
      expect(await exitCodeForError(err, { output: 'json', command: 'lint' }, c.streams)).toBe(code);
      const doc = JSON.parse(c.out());
      expect(doc).toMatchObject({ apiVersion: OUTPUT_API_VERSION, kind: 'Error', exitCode: code, reason, metadata: { command: 'lint' } });
      expect(Array.isArray(doc.problems)).toBe(true);
    }
    const withRecords = capture();
    await exitCodeForError(cases[2]![0], { output: 'yaml' }, withRecords.streams);
    expect(parse(withRecords.out()).problems).toEqual([{ check: 'config', file: 'x', line: 3, column: 1, field: 'cluster', message: 'bad' }]);
  });

  it("a refusal or Ctrl-C at hard-reset's confirmation carries the blast radius it showed, as data; other errors carry none", async () => {
    const shown = { blastRadius: { command: 'hard-reset', cluster: 'homelab', live: { reachable: true, namespaces: [{ name: 'apps', objects: 3 }] } } };
    const cases: Array<[Error, number]> = [
      [new RefusedError('confirmation did not match "homelab": nothing was changed', [], undefined, shown), 3],
      [new InterruptedError('Ctrl-C at the confirmation: nothing was changed', [], shown), 130],
    ];
    for (const [err, code] of cases) {
      for (const format of ['json', 'yaml'] as const) {
        const c = capture();
        expect(await exitCodeForError(err, { output: format, command: 'hard-reset' }, c.streams)).toBe(code);
        const doc = format === 'json' ? JSON.parse(c.out()) : parse(c.out());
        expect(doc).toMatchObject({ kind: 'Error', exitCode: code, metadata: { command: 'hard-reset' }, ...shown });
      }
    }
    // Without -o the person reads the screen on stderr; the refusal adds nothing to stdout.
    const plain = capture();
    expect(await exitCodeForError(cases[0]![0], {}, plain.streams)).toBe(3);
    expect(plain.out()).toBe('');
    const other = capture();
    await exitCodeForError(new RefusedError('hard-reset refuses: a lock is held'), { output: 'json' }, other.streams);
    expect(JSON.parse(other.out())).not.toHaveProperty('blastRadius');
  });

  it('stdout holds one document: after a RunResult, a refusal thrown by the run adds no Error envelope', async () => {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      stdoutDocument.written = true;
      expect(await exitCodeForError(new RefusedError('an unselected need does not verify'), { output: 'json' })).toBe(3);
      expect(out).toBe('');
      stdoutDocument.written = false;
      expect(await exitCodeForError(new RefusedError('an unselected need does not verify'), { output: 'json' })).toBe(3);
      expect(JSON.parse(out).kind).toBe('Error');
      expect(stdoutDocument.written).toBe(true);
    } finally {
      write.mockRestore();
      err.mockRestore();
      stdoutDocument.written = false;
    }
  });

  it('a secret value in a bug message is scrubbed from stderr and the envelope', async () => {
    registerSecret('s3cr3t-token-value');
    try {
      const c = capture();
      await exitCodeForError(new Error('leaked s3cr3t-token-value here'), { output: 'json', verbose: true }, c.streams);
      expect(c.err() + c.out()).not.toContain('s3cr3t-token-value');
      expect(c.err()).toContain('leaked [REDACTED] here');
    } finally {
      clearSecretsForTest();
    }
  });
});
