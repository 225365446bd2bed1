/**
 * Sandbox snapshot bench: what the in-browser runtime downloads to get the lab's dependencies onto its disk — the
 * prebuilt snapshot (public/sandbox/lab.snapshot) — against what a plain `npm install` of the same eight
 * dependencies would download and unpack. Also times the snapshot build. Runs offline.
 *
 * Usage: node bench/sandbox-size.ts [--runs=N]   (N builds to time, default 3)
 *
 * Snapshot side: bytes raw (what a host sends that does not compress application/octet-stream, which many do not),
 * gzip and brotli at on-the-fly and precompressed levels; files.
 * npm side: every package a plain install of LAB_DEPENDENCIES puts in node_modules (type packages included, as npm
 * installs them), measured with `npm pack --dry-run` on the installed folders: `size` is the gzipped tarball npm
 * would fetch (once per name@version), `unpackedSize` what it writes (once per copy in the tree). Registry metadata
 * requests (one per package without a lockfile) come on top and are not counted.
 *
 * Prints a table and writes the figures to bench/results/sandbox-size.json.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { buildSandboxSnapshot, collectLabPackages, LAB_DEPENDENCIES } from '../playground/build/sandbox-snapshot.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) throw new Error('--runs must be a whole number from 1 to 20');

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const size = (bytes: number) => (bytes >= 1024 * 1024 ? mib(bytes) : kb(bytes));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface PackResult {
  name: string;
  version: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}

async function npmPack(dirs: string[]): Promise<PackResult[]> {
  // One npm process for every folder; --ignore-scripts so no prepare/prepack script runs in node_modules.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...dirs], {
    cwd: os.tmpdir(),
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PackResult[];
}

// ---- snapshot ------------------------------------------------------------------------------------------------
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-size-'));
const outFile = path.join(work, 'lab.snapshot');
const buildMs: number[] = [];
let built: Awaited<ReturnType<typeof buildSandboxSnapshot>> | undefined;
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  built = await buildSandboxSnapshot({ projectRoot: ROOT, outFile });
  buildMs.push(Math.round(performance.now() - started));
}
const snapshotBytes = await fs.readFile(outFile);
await fs.rm(work, { recursive: true, force: true });

/** Compressed sizes at the levels hosts use: on the fly (gzip -6, brotli q5), the project's static server (brotli
 * q9), and precompressed at build time (gzip -9, brotli q11). */
const timed = (compress: () => Buffer) => {
  const started = performance.now();
  const bytes = compress().byteLength;
  return { bytes, ms: Math.round(performance.now() - started) };
};
const brotliAt = (quality: number) => () =>
  zlib.brotliCompressSync(snapshotBytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: snapshotBytes.byteLength },
  });
const compressed = {
  gzip6: timed(() => zlib.gzipSync(snapshotBytes, { level: 6 })),
  gzip9: timed(() => zlib.gzipSync(snapshotBytes, { level: 9 })),
  brotli5: timed(brotliAt(5)),
  brotli9: timed(brotliAt(9)),
  brotli11: timed(brotliAt(11)),
};
const gzip = compressed.gzip9.bytes;
const brotli = compressed.brotli11.bytes;

// ---- plain npm install of the same dependencies --------------------------------------------------------------
const installed = collectLabPackages(ROOT, LAB_DEPENDENCIES, { typePackages: true });
const byId = new Map<string, { dir: string; copies: number }>();
for (const pkg of installed) {
  const id = `${pkg.name}@${pkg.version}`;
  const known = byId.get(id);
  if (known) known.copies += 1;
  else byId.set(id, { dir: pkg.dir, copies: 1 });
}
const packStarted = performance.now();
const packs = await npmPack([...byId.values()].map((p) => p.dir));
const packMs = Math.round(performance.now() - packStarted);
let tarballs = 0;
let typeTarballs = 0;
let unpacked = 0;
let npmFiles = 0;
for (const pack of packs) {
  const copies = byId.get(`${pack.name}@${pack.version}`)?.copies ?? 1;
  tarballs += pack.size;
  if (pack.name.startsWith('@types/') || pack.name === 'undici-types') typeTarballs += pack.size;
  unpacked += pack.unpackedSize * copies;
  npmFiles += pack.entryCount * copies;
}

// ---- report --------------------------------------------------------------------------------------------------
const snapshot = built!;
const rows: [string, string, string][] = [
  ['', 'snapshot', 'npm install'],
  ['packages (name@version)', String(snapshot.packages.length), String(byId.size)],
  ['package folders in node_modules', String(snapshot.copies), String(installed.length)],
  ['files', `${snapshot.files} (incl. lab/)`, String(npmFiles)],
  ['on disk (raw / unpacked)', size(snapshot.bytes), size(unpacked)],
  ['transferred, no compression', size(snapshot.bytes), '—'],
  ['transferred, gzip -6 / -9', `${size(compressed.gzip6.bytes)} / ${size(compressed.gzip9.bytes)}`, `${size(tarballs)} (tarballs)`],
  ['transferred, brotli q5 / q9 / q11', `${size(compressed.brotli5.bytes)} / ${size(compressed.brotli9.bytes)} / ${size(compressed.brotli11.bytes)}`, '—'],
];
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`Sandbox snapshot vs npm install of ${LAB_DEPENDENCIES.join(', ')}\n`);
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   '));
console.log('');
console.log(`brotli snapshot ÷ npm tarballs: ${(brotli / tarballs).toFixed(2)}   gzip snapshot ÷ npm tarballs: ${(gzip / tarballs).toFixed(2)}`);
console.log(`npm tarballs without type-only packages (@types/*, undici-types): ${size(tarballs - typeTarballs)}; brotli q11 ÷ that: ${(brotli / (tarballs - typeTarballs)).toFixed(2)}`);
console.log(`raw snapshot ÷ npm unpacked: ${(snapshot.bytes / unpacked).toFixed(2)}   files: ${(snapshot.files / npmFiles).toFixed(2)}`);
console.log(`pruned from the copied packages: ${snapshot.prunedFiles} files, ${size(snapshot.prunedBytes)} (docs, types, maps, tests)`);
console.log(`snapshot build: median ${median(buildMs)} ms of ${RUNS} (${buildMs.join(', ')} ms); compress ${Object.entries(compressed).map(([k, v]) => `${k} ${v.ms} ms`).join(', ')}; npm pack --dry-run ${packMs} ms`);

const resultFile = path.join(ROOT, 'bench', 'results', 'sandbox-size.json');
await fs.mkdir(path.dirname(resultFile), { recursive: true });
await fs.writeFile(
  resultFile,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      snapshot: {
        bytes: snapshot.bytes, compressed, files: snapshot.files, packages: snapshot.packages, copies: snapshot.copies,
        prunedFiles: snapshot.prunedFiles, prunedBytes: snapshot.prunedBytes, buildMs,
      },
      npm: { tarballs, typeTarballs, unpacked, files: npmFiles, packages: [...byId.keys()].sort(), copies: installed.length },
      ratios: { brotliVsTarballs: brotli / tarballs, gzipVsTarballs: gzip / tarballs, rawVsUnpacked: snapshot.bytes / unpacked },
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${path.relative(ROOT, resultFile)}`);
