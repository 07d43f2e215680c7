// Readers (node_exporter, a person's browser, the next drill) must never see half a file: write a
// temporary file in the same directory, flush it, then rename it over the target in one step.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temporary name starts with a dot and ends in .tmp, so node_exporter's "*.prom" glob skips it. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(target: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temporary = temporaryPathFor(target);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temporary, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
