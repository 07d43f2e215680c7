// Issue 14's differential proof: generated YAML documents (the scalars YAML 1.1 and 1.2 read
// differently, in every position) are converted to JSON by yaml2json, built from the pinned
// sigs.k8s.io/yaml that kubectl, Flux and Argo CD read manifests with, and by homelab-dr's reader.
// The two must be equal on every document, refusals included.
import { execFileSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadKubeYaml } from '../../src/k8s/yaml11.js';
import { cachedBinary } from '../../src/util/binaries.js';
import { requireBuilt } from '../fixtures/go-cache.js';
import { generateYamlDocs } from '../fixtures/k8s/yaml11-generator.js';

const SEED = Number(process.env.HOMELAB_DR_YAML_SEED ?? 20261202);
const COUNT = 400;
const yaml2json = cachedBinary('yaml2json', 'yaml2json');
const built = requireBuilt(yaml2json, 'yaml2json (sigs.k8s.io/yaml)');

type Reading = { json: unknown } | { error: string };

function ours(text: string): Reading {
  try {
    return { json: loadKubeYaml(text, 'generated.yaml').value };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

// The reading homelab-dr had before: js-yaml's default schema (YAML 1.2 core, plus timestamps).
function yaml12(text: string): Reading {
  try {
    return { json: JSON.parse(JSON.stringify(jsYaml.load(text))) as unknown };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function agree(a: Reading, b: Reading): boolean {
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b;
  return isDeepStrictEqual(a.json, b.json);
}

describe.skipIf(!built)(`YAML 1.1 differential: ${COUNT} generated documents (seed ${SEED}) against sigs.k8s.io/yaml`, () => {
  const docs = generateYamlDocs(SEED, COUNT);
  const kubectl = JSON.parse(execFileSync(yaml2json, { input: JSON.stringify(docs.map((d) => d.text)) }).toString()) as Reading[];

  it("homelab-dr's reading equals sigs.k8s.io/yaml's JSON on every document", () => {
    const disagreements: string[] = [];
    let refused = 0;
    docs.forEach((doc, i) => {
      const go = kubectl[i]!;
      const mine = ours(doc.text);
      if ('error' in go) refused += 1;
      if (!agree(go, mine)) disagreements.push(`${doc.name}:\n${doc.text}sigs.k8s.io/yaml: ${JSON.stringify(go)}\nhomelab-dr: ${JSON.stringify(mine)}`);
    });
    const oldDisagreements = docs.filter((doc, i) => !agree(kubectl[i]!, yaml12(doc.text))).length;
    console.log(`[unit] YAML 1.1 differential: ${docs.length} documents, ${docs.length - refused} converted, ${refused} refused by both, ${disagreements.length} disagreement(s); the YAML 1.2 reading disagrees on ${oldDisagreements}`);
    expect(disagreements).toEqual([]);
    expect(docs.length).toBeGreaterThanOrEqual(300);
    // The comparison is worth the name: most documents convert, and YAML 1.2 gets most of them wrong.
    expect(refused).toBeLessThan(docs.length * 0.25);
    expect(oldDisagreements).toBeGreaterThan(docs.length / 2);
  });
});
