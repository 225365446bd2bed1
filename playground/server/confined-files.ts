/**
 * Writes a learner's file inside a lab folder and nowhere else. Paths are normalised and must stay relative;
 * every folder on the way is checked not to be a symbolic link (lab code could plant one pointing out of the lab)
 * and the file itself is opened without following links.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
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

/** Write `content` to `relative` under `root`, creating folders; files and folders made get `uid` as owner. */
export async function writeConfined(root: string, relative: string, content: string, uid?: number): Promise<void> {
  const normal = confinedPath(relative);
  const parts = normal.split('/');
  let folder = root;
  for (const part of parts.slice(0, -1)) {
    folder = path.join(folder, part);
    await ensureRealFolder(folder, relative, uid);
  }
  const target = path.join(folder, parts.at(-1)!);
  let handle;
  try {
    handle = await fs.open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new PathRefused(`refused "${relative}": it is a symbolic link, which could lead out of the lab`);
    if (code === 'EISDIR') throw new PathRefused(`refused "${relative}": a folder has that name`);
    if (code === 'ENXIO') throw new PathRefused(`refused "${relative}": it is not a regular file`);
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new PathRefused(`refused "${relative}": it is not a regular file`);
    await handle.writeFile(content);
    if (uid !== undefined) await handle.chown(uid, uid);
  } finally {
    await handle.close();
  }
}
