// @ts-check
/**
 * Each instance process gets its own disk, the way each container of a deployment starts from the image with a
 * disk of its own: the learner's files are copied into a fresh folder under app/.instances before the process
 * starts, and the folder goes away once the process has exited. A file one instance writes next to its code is
 * therefore invisible to the others and gone after a restart, as in production.
 *
 * The folders live inside app/ on purpose: in the hosted sandbox only app/ is writable, and its size is limited.
 * Packages still resolve, because Node looks for node_modules in every folder above the instance's own.
 * Only portable fs calls are used (they run inside WebContainer too).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** The folder inside app/ that holds the instances' disks. */
export const INSTANCES_DIR = '.instances';
/** Top-level entries of app/ that are not part of the "image". */
const SKIPPED = new Set([INSTANCES_DIR, 'node_modules']);

/**
 * Copy the app's files into `target` (which must not exist yet), skipping node_modules and .instances at the top
 * level, keeping symbolic links as links with their own target text. A copy that fails is removed and the error
 * rethrown.
 * @param {string} appDir
 * @param {string} target
 */
export async function copyApp(appDir, target) {
  const parent = path.dirname(target);
  await fsp.mkdir(parent, { recursive: true });
  // Written into and removed from: it must be the folder inside app/, not a link to somewhere else.
  if ((await fsp.lstat(parent)).isSymbolicLink()) throw new Error(`${path.basename(parent)} in the app folder is a symbolic link, not a folder`);
  try {
    await fsp.mkdir(target);
    await copyFolder(appDir, target, true);
  } catch (error) {
    await removeDisk(target);
    throw error;
  }
}

/** @param {string} from @param {string} to @param {boolean} top */
async function copyFolder(from, to, top) {
  for (const entry of await fsp.readdir(from, { withFileTypes: true })) {
    if (top && SKIPPED.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    const destination = path.join(to, entry.name);
    if (entry.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(source), destination);
    } else if (entry.isDirectory()) {
      await fsp.mkdir(destination);
      await copyFolder(source, destination, false);
    } else if (entry.isFile()) {
      await fsp.copyFile(source, destination);
    }
    // Sockets, FIFOs and devices are not files an image carries.
  }
}

/** Remove an instance's disk; never throws (what is left goes with the next supervisor's clean-up). @param {string} dir */
export async function removeDisk(dir) {
  try {
    await fsp.rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  } catch {
    // a process the instance started may still be writing there; the next supervisor removes it
  }
}

/** Remove disks an earlier supervisor left behind (it was killed before it could). @param {string} appDir */
export function removeStaleDisks(appDir) {
  try {
    fs.rmSync(path.join(appDir, INSTANCES_DIR), { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  } catch {
    // not ours to remove, or in use: the copies get fresh names anyway
  }
}

/**
 * Why a copy failed, in words a learner can act on.
 * @param {string} name instance name
 * @param {unknown} error
 */
export function describeCopyFailure(name, error) {
  const { code, message } = /** @type {NodeJS.ErrnoException} */ (error ?? {});
  const what = `could not copy the app's files to instance ${name}'s own disk`;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return `${what}: the lab's disk is full (${code}). Every instance gets a copy of the app folder, so remove big files from it or run fewer instances.`;
  }
  if (code === 'EMFILE' || code === 'ENFILE') return `${what}: too many open files (${code}); try again with fewer instances.`;
  return `${what}: ${String(message ?? error)}`;
}
