// Server-side apply of one object, counted in the ledger as created / configured / unchanged / failed
// by comparing what the server held before and after, never by assuming.
import type { StepLedger } from '../src/engine/types.js';
import type { KubeClient } from '../src/kube/client.js';
import { refOf } from '../src/kube/types.js';
import type { KubeObject } from '../src/kube/types.js';
import { describeObject } from '../src/k8s/types.js';
import { errorMessage } from '../src/util/errors.js';

export interface AppliedObject {
  outcome: 'created' | 'configured' | 'unchanged' | 'failed';
  live?: KubeObject;
  error?: string;
}

/** Applies and records; `explain` may turn an API error into one with the fix. */
export async function applyCounted(
  kube: KubeClient,
  obj: KubeObject,
  ledger: StepLedger,
  explain: (err: unknown, obj: KubeObject) => string = (err) => errorMessage(err),
): Promise<AppliedObject> {
  const name = describeObject(obj);
  const [kind, ...rest] = name.split(' ');
  try {
    const before = await kube.get(refOf(obj));
    const live = await kube.apply(obj, { force: true });
    const outcome = !before ? 'created' : before.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured';
    ledger.record(kind!, rest.join(' '), outcome);
    return { outcome, live };
  } catch (err) {
    const error = explain(err, obj);
    ledger.record(kind!, rest.join(' '), 'failed', error);
    return { outcome: 'failed', error };
  }
}
