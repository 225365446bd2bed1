/**
 * Writes a learner's file inside a lab folder and nowhere else, even while lab code renames folders and plants
 * symbolic links under it. Paths are normalised and must stay relative. On Linux the walk never resolves a path
 * the lab could change: it opens the lab folder, then descends one name at a time relative to the folder already
 * open (through /proc/self/fd/<n>/<name>, the openat of Node), refusing links at every step. Elsewhere each folder
 * is checked with lstat first, which a lab racing the host could beat; the lab host only runs hostile code on Linux.
 */
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export class PathRefused extends Error {}

/** The normalised relative path, or a PathRefused naming what is wrong with it. */
export function confinedPath(relative: string): string {
  if (relative.includes('\0')) throw new PathRefused(`refused "${relative}": a path cannot contain a NUL byte`);
  const slashed = relative.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) throw new PathRefused(`refused "${relative}": only paths relative to the lab's folder are allowed`);
  const normal = path.posix.normalize(slashed);
  if (normal === '.' || normal === '..' || normal.startsWith('../')) throw new PathRefused(`refused "${relative}": it is outside the lab's folder`);
  return normal;
}

const byDescriptor = process.platform === 'linux';
const FOLDER_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Where `name` lives inside an open folder, or beside a path (where there is no /proc). */
function inside(folder: FileHandle | string, name: string): string {
  return typeof folder === 'string' ? path.join(folder, name) : `/proc/self/fd/${folder.fd}/${name}`;
}

function refusal(error: unknown, shown: string, what: 'folder' | 'file'): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new PathRefused(what === 'folder' ? `refused "${shown}": a folder on its way is a symbolic link, which could lead out of the lab` : `refused "${shown}": it is a symbolic link, which could lead out of the lab`);
  if (code === 'ENOTDIR') return new PathRefused(`refused "${shown}": a part of its path is a file, not a folder`);
  if (code === 'EISDIR') return new PathRefused(`refused "${shown}": a folder has that name`);
  if (code === 'ENXIO') return new PathRefused(`refused "${shown}": it is not a regular file`);
  return error;
}

async function openFolder(location: string, shown: string): Promise<FileHandle> {
  try {
    return await fs.open(location, FOLDER_FLAGS);
  } catch (error) {
    // O_DIRECTORY with O_NOFOLLOW answers ENOTDIR for a link: say which it was.
    const link = (error as NodeJS.ErrnoException).code === 'ENOTDIR' && (await fs.lstat(location).then((stat) => stat.isSymbolicLink(), () => false));
    throw refusal(link ? Object.assign(new Error('link'), { code: 'ELOOP' }) : error, shown, 'folder');
  }
}

/** Enter (creating it when missing) the folder `name` of an open folder. */
async function enter(parent: FileHandle, name: string, shown: string, uid: number | undefined): Promise<FileHandle> {
  const location = inside(parent, name);
  try {
    // mkdir never follows a link in the last place: a link planted there makes it fail with EEXIST.
    await fs.mkdir(location, { mode: 0o755 });
    const made = await openFolder(location, shown);
    if (uid !== undefined) await made.chown(uid, uid);
    return made;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw refusal(error, shown, 'folder');
  }
  return openFolder(location, shown);
}

/** The lstat check used where folders cannot be opened by descriptor. */
async function ensureRealFolder(folder: string, shown: string, uid: number | undefined): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(folder);
  } catch {
    await fs.mkdir(folder);
    if (uid !== undefined) await fs.chown(folder, uid, uid);
    return;
  }
  if (stat.isSymbolicLink()) throw new PathRefused(`refused "${shown}": a folder on its way is a symbolic link, which could lead out of the lab`);
  if (!stat.isDirectory()) throw new PathRefused(`refused "${shown}": a part of its path is a file, not a folder`);
}

/**
 * Write `content` to `relative` under `base`/`folder`, creating folders; files and folders made get `uid` as
 * owner. `base` is a folder only the host can change; `folder` (one name, e.g. "app") and everything below it may
 * be the lab's.
 */
export async function writeConfined(base: string, folder: string, relative: string, content: string, uid?: number): Promise<void> {
  const normal = confinedPath(relative);
  const parts = normal.split('/');
  const name = parts.pop()!;
  const opened: FileHandle[] = [];
  try {
    let current: FileHandle | string;
    if (byDescriptor) {
      opened.push(await openFolder(base, relative));
      opened.push(await openFolder(inside(opened[0]!, folder), relative));
      for (const part of parts) opened.push(await enter(opened.at(-1)!, part, relative, uid));
      current = opened.at(-1)!;
    } else {
      current = path.join(base, folder);
      await ensureRealFolder(current, relative, undefined);
      for (const part of parts) await ensureRealFolder((current = path.join(current, part)), relative, uid);
    }
    await writeFileIn(current, name, relative, content, uid);
  } finally {
    await Promise.all(opened.map((handle) => handle.close()));
  }
}

async function writeFileIn(folder: FileHandle | string, name: string, shown: string, content: string, uid: number | undefined): Promise<void> {
  let handle;
  try {
    handle = await fs.open(inside(folder, name), FILE_FLAGS, 0o644);
  } catch (error) {
    throw refusal(error, shown, 'file');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PathRefused(`refused "${shown}": it is not a regular file`);
    // A hard link would let the lab aim the write at a file it does not own.
    if (stat.nlink > 1) throw new PathRefused(`refused "${shown}": it has other names (hard links), so it may not be the lab's own file`);
    // Truncated only now, once it is known to be the lab's own regular file.
    await handle.truncate(0);
    await handle.writeFile(content);
    if (uid !== undefined) await handle.chown(uid, uid);
  } finally {
    await handle.close();
  }
}
