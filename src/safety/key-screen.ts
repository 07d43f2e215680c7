// The sealing keys on the blast-radius screen: which keys the deletion takes with it (by fingerprint,
// never by value) and what keeps them. Pure; the screen reads the keys.
import type { SealedSecretsConfig } from '../config/types.js';
import type { SealingKey } from '../secrets/key-backup.js';

export type ScreenKeys = { keys: SealingKey[] } | { unreadable: string };

function keeper(ss: SealedSecretsConfig, count: number): string {
  if (ss.keyBackup?.file) return `  kept: preflight exports ${count === 1 ? 'it' : 'them'} to ${ss.keyBackup.file} (mode 0600) before anything is destroyed, and the rebuilt controller restores ${count === 1 ? 'it' : 'them'}`;
  if (ss.keyBackup?.from) return `  kept only if it is the pair in store ${ss.keyBackup.from.store} (key ${ss.keyBackup.from.key}): hard-reset refuses otherwise`;
  if (ss.newKeyAcceptable) return '  !!! NOT KEPT (newKeyAcceptable: true): the new controller makes a new key; SealedSecrets sealed for these no longer decrypt';
  return '  !!! NOT KEPT: no sealedSecrets.keyBackup: hard-reset refuses';
}

export function renderSealingKeys(ss: SealedSecretsConfig | undefined, live: ScreenKeys | undefined): string[] {
  if (!ss || !live) return [];
  if ('unreadable' in live) return [`Sealing keys (${ss.namespace}): cannot be read (${live.unreadable})`];
  if (live.keys.length === 0) return [`Sealing keys (${ss.namespace}): none in the live cluster`];
  return [
    `Sealing keys (${ss.namespace}): ${live.keys.length}, deleted with the cluster`,
    ...live.keys.map((k) => `  ${k.name}  ${k.status || '(no status)'}  sha256:${k.fingerprint}`),
    keeper(ss, live.keys.length),
  ];
}
