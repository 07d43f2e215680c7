import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { controlPlaneBinaries } from '../../src/cluster/control-plane-binaries.js';
import { freeLoopbackPorts, portInUse } from '../../src/cluster/ports.js';
import { isOurProcess, stopProcess } from '../../src/cluster/process.js';
import { parseManifests } from '../../src/k8s/manifests.js';
import { InputError } from '../../src/util/errors.js';

describe('control-plane binaries', () => {
  test('a missing cache is an InputError that says how to build it and lists every missing path', () => {
    let caught: unknown;
    try {
      controlPlaneBinaries(['kubeApiserver', 'etcd'], { HOMELAB_DR_CACHE: '/nonexistent/hdr-cache' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toContain('bash scripts/control-plane.sh');
    expect((caught as InputError).details).toHaveLength(2);
    expect((caught as InputError).details[0]).toMatch(/^missing: \/nonexistent\/hdr-cache\/bin\/kubernetes-v[\d.]+\/kube-apiserver$/);
  });
});

describe('ports', () => {
  test('a listening port is in use; a freed one is not', async () => {
    const [port] = (await freeLoopbackPorts(1)) as [number];
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(await portInUse(port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await portInUse(port)).toBe(false);
  });

  test('ports handed out together are distinct', async () => {
    const ports = await freeLoopbackPorts(6);
    expect(new Set(ports).size).toBe(6);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});

describe('process bookkeeping', () => {
  test('recognises its own process by command line and stops it', async () => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = child.pid as number;
    expect(isOurProcess(pid, 'sleep')).toBe(true);
    expect(isOurProcess(pid, 'sealed-secrets-controller')).toBe(false);
    await stopProcess(pid, 'sleep', 2000);
    expect(isOurProcess(pid, 'sleep')).toBe(false);
  });
});

describe('parseManifests', () => {
  test('keeps objects and drops empty documents', () => {
    const objects = parseManifests('---\n# only a comment\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: b}\n---\n', 'test').map((o) => o.obj);
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'b' } }]);
  });
  test('a YAML error names its source', () => {
    expect(() => parseManifests('a: [1, 2\n', 'chart.yaml')).toThrow(/^chart\.yaml:2: invalid YAML/);
  });
});
