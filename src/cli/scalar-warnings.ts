// lint's (and plan's) warnings about plain scalars kubectl's YAML 1.1 and YAML 1.2 read differently,
// in every manifest the plan reads. An input that does not load is reported by the step that reads it.
import { describeScalarDifference } from '../k8s/yaml-lines.js';
import type { LoadedObject } from '../k8s/types.js';
import type { Inputs } from '../../steps/inputs.js';

export async function scalarDifferenceWarnings(inputs: Inputs): Promise<string[]> {
  const loads = await Promise.allSettled([
    inputs.namespaces(),
    inputs.storage(),
    inputs.sealedSecretsController(),
    inputs.apps().then((apps) => apps.flatMap((app) => app.objects)),
  ]);
  const objects: LoadedObject[] = loads.flatMap((load) => (load.status === 'fulfilled' ? load.value : []));
  return objects.flatMap((loaded) => (loaded.scalarDifferences ?? []).map((d) => describeScalarDifference(loaded.source.file, d)));
}
