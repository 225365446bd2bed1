import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** A checkout of `ref` beside the project, sharing its node_modules; removed at exit. */
export async function checkout(ref: string, prefix = 'bench-'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // Labs that run as their own users must reach the engine in it, as they reach the project's.
  fs.chmodSync(dir, 0o755);
  await promisify(execFile)('git', ['-C', ROOT, 'worktree', 'add', '--detach', dir, ref]);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  process.on('exit', () => {
    try {
      fs.rmSync(path.join(dir, 'node_modules'));
      execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
    } catch {}
  });
  return dir;
}
