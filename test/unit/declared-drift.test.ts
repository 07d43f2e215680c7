// The provider's config drift as diagnose findings: the message registriesDriftMessage writes, split
// into the problem, each difference as evidence, and what to do.
import { describe, expect, it } from 'vitest';
import { registriesDriftMessage } from '../../src/cluster/k3d-registries.js';
import { configDriftFindings } from '../../src/diagnose/declared-drift.js';

describe('configDriftFindings', () => {
  it('turns each drift message into one finding on the cluster, differences as evidence', () => {
    const message = registriesDriftMessage('prod', 'k3d-prod-server-0', ['mirrors["ghcr.io"] is on the node but not in the desired registries.yaml', 'mirrors["docker.io"].endpoint differs']);
    const [finding, ...rest] = configDriftFindings('prod', [message]);
    expect(rest).toEqual([]);
    expect(finding).toEqual({
      object: 'Cluster prod',
      problem: 'registries.yaml on k3d-prod-server-0 differs from the desired one (2 difference(s))',
      evidence: ['mirrors["ghcr.io"] is on the node but not in the desired registries.yaml', 'mirrors["docker.io"].endpoint differs'],
      fix: [
        'The fix is recreating cluster prod, which gives the registry config at creation: run `homelab-dr dr-test` first, then `homelab-dr hard-reset`.',
        'Do not `docker restart` the node to reload it: that restarts every pod on it, including any tunnel your access depends on.',
      ],
    });
  });

  it('names nothing when the node runs what the config gives', () => {
    expect(configDriftFindings('prod', [])).toEqual([]);
  });
});
