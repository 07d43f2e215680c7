// The versions the rehearsal runs (the Go-built control plane), as one record for TypeScript readers:
// `version`, plan's fidelity line, the drill report. The numbers live only in scripts/control-plane.pins,
// which scripts/control-plane.sh sources; this reads that file, it never repeats a number.
import { pinnedVersion, type PinnedComponent } from './util/binaries.js';

export const PINNED_COMPONENTS: readonly PinnedComponent[] = ['kubernetes', 'etcd', 'kwok', 'sealed-secrets', 'helm', 'age', 'sops', 'yaml2json'];

export type Pins = Record<PinnedComponent, string>;

/** Every pin, read from scripts/control-plane.pins; throws naming the file when one is missing. */
export function readPins(): Pins {
  return Object.fromEntries(PINNED_COMPONENTS.map((c) => [c, pinnedVersion(c)])) as Pins;
}
