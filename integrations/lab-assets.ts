/**
 * Astro integration: keeps public/sandbox/lab.snapshot — the prebuilt file system (lab code + its node_modules)
 * that the in-browser runtime mounts into a WebContainer instead of running `npm install` — up to date.
 *
 * - `astro dev` and `astro build`: rebuilds the snapshot when it is missing or older than anything it is made
 *   from (playground/lab/**, package-lock.json, the builder), and logs one line with its size and build time.
 *   `astro sync` and `astro preview` leave it alone.
 * - `astro dev`: rebuilds it again when a file under playground/lab/ changes, so a reload picks up lab edits.
 *
 * Register in astro.config.mjs: `integrations: [labAssets()]`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration, AstroIntegrationLogger } from 'astro';
import { buildSandboxSnapshot, labSourceDir, snapshotStaleReason } from '../playground/build/sandbox-snapshot.ts';

/** Where the snapshot goes, relative to the public folder; the browser fetches `/sandbox/lab.snapshot`. */
export const SNAPSHOT_PUBLIC_PATH = 'sandbox/lab.snapshot';

export interface LabAssetsOptions {
  /** Rebuild even when the snapshot looks fresh. */
  force?: boolean;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/**
 * Build the snapshot into `outFile` if it is missing or stale. Returns what was done, for callers and tests.
 */
export async function ensureLabSnapshot(
  projectRoot: string,
  outFile: string,
  logger: Pick<AstroIntegrationLogger, 'info'>,
  force = false,
): Promise<{ built: boolean; reason?: string; bytes?: number; ms?: number }> {
  const reason = force ? 'forced' : await snapshotStaleReason(projectRoot, outFile);
  if (!reason) return { built: false };
  const started = performance.now();
  const result = await buildSandboxSnapshot({ projectRoot, outFile });
  const ms = Math.round(performance.now() - started);
  logger.info(
    `${path.relative(projectRoot, outFile)}: ${mib(result.bytes)}, ${result.files} files, ${result.packages.length} packages, built in ${ms} ms (${reason})`,
  );
  return { built: true, reason, bytes: result.bytes, ms };
}

export function labAssets(options: LabAssetsOptions = {}): AstroIntegration {
  let projectRoot = '';
  let outFile = '';
  return {
    name: 'stateless-lab:lab-assets',
    hooks: {
      'astro:config:setup': async ({ config, command, logger }) => {
        projectRoot = fileURLToPath(config.root);
        outFile = path.join(fileURLToPath(config.publicDir), ...SNAPSHOT_PUBLIC_PATH.split('/'));
        if (command !== 'dev' && command !== 'build') return;
        await ensureLabSnapshot(projectRoot, outFile, logger, options.force);
      },
      'astro:server:setup': ({ server, logger }) => {
        const labDir = labSourceDir(projectRoot) + path.sep;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let running: Promise<unknown> = Promise.resolve();
        const schedule = (file: string) => {
          if (!path.resolve(file).startsWith(labDir)) return;
          clearTimeout(timer);
          timer = setTimeout(() => {
            running = running
              .then(() => ensureLabSnapshot(projectRoot, outFile, logger))
              .catch((error: unknown) => logger.error(`could not rebuild the lab snapshot: ${(error as Error).message}`));
          }, 200);
        };
        server.watcher.on('all', (_event, file) => schedule(file));
      },
    },
  };
}
