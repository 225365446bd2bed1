import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { exportFileName, exportZip, MANIFEST, MAX_FILE_BYTES, MAX_FILES, readLessonZip, unsafePath } from '../../playground/client/workspace/lab-zip.ts';

const lesson = { slug: 'map-trap', known: ['package.json', 'server.js'], readonly: ['package.json'] };
const files = [
  { path: 'package.json', content: '{"name":"lab"}' },
  { path: 'server.js', content: '// mine\nconsole.log("hi")\n' },
];

describe('lab zip', () => {
  it('round-trips an export, ignoring read-only files', () => {
    const zip = exportZip('map-trap', files, new Date('2025-01-02T03:04:05Z'));
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual(['package.json', 'server.js', MANIFEST]);
    expect(JSON.parse(strFromU8(entries[MANIFEST]!)).lesson).toBe('map-trap');
    const result = readLessonZip(zip, lesson);
    expect(result).toEqual({ ok: true, files: [files[1]], ignored: ['package.json'] });
    expect(exportFileName('map-trap', new Date('2025-01-02T03:04:05Z'))).toBe('stateless-lab-map-trap-2025-01-02.zip');
  });

  it('accepts a hand-made zip of a folder, with new relative files', () => {
    const zip = zipSync({ 'my-work/server.js': strToU8('// a'), 'my-work/lib/util.js': strToU8('// b'), '__MACOSX/._x': strToU8('junk') });
    expect(readLessonZip(zip, lesson)).toEqual({
      ok: true,
      files: [
        { path: 'lib/util.js', content: '// b' },
        { path: 'server.js', content: '// a' },
      ],
      ignored: [],
    });
  });

  it('refuses what is not a zip, or a truncated one', () => {
    const bad = readLessonZip(strToU8('hello'), lesson);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/not a readable zip/);
    const zip = exportZip('map-trap', files);
    expect(readLessonZip(zip.subarray(0, zip.length - 25), lesson).ok).toBe(false);
    expect(readLessonZip(new Uint8Array(), lesson).ok).toBe(false);
  });

  it("refuses another lesson's zip and a zip without this lesson's files", () => {
    const other = exportZip('counters', files);
    expect(readLessonZip(other, lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/another lesson \("counters"\)/) });
    const foreign = zipSync({ 'README.md': strToU8('# hi') });
    expect(readLessonZip(foreign, lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/none of this lesson's files \(server\.js\)/) });
    const badManifest = zipSync({ 'server.js': strToU8('x'), [MANIFEST]: strToU8('{') });
    expect(readLessonZip(badManifest, lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid JSON/) });
  });

  it('refuses unsafe paths, binary files and oversized content', () => {
    for (const name of ['../server.js', '/etc/passwd', 'a\\b.js', 'C:/x.js', 'a/./b.js']) {
      expect(readLessonZip(zipSync({ 'server.js': strToU8('x'), [name]: strToU8('x') }), lesson).ok, name).toBe(false);
    }
    const binary = zipSync({ 'server.js': new Uint8Array([0xff, 0xfe, 0x00, 0xc3]) });
    expect(readLessonZip(binary, lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a text file/) });
    const big = zipSync({ 'server.js': new Uint8Array(MAX_FILE_BYTES + 1).fill(97) });
    expect(readLessonZip(big, lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/limit is 256 KB per file/) });
    const many = Object.fromEntries(Array.from({ length: MAX_FILES + 1 }, (_, i) => [`f${i}.js`, strToU8('x')]));
    expect(readLessonZip(zipSync({ ...many, 'server.js': strToU8('x') }), lesson)).toMatchObject({ ok: false, reason: expect.stringMatching(/limit is 50/) });
  });

  it('names what is unsafe about a path', () => {
    expect(unsafePath('server.js')).toBeUndefined();
    expect(unsafePath('lib/a.js')).toBeUndefined();
    expect(unsafePath('../a')).toMatch(/\.\./);
    expect(unsafePath('/a')).toMatch(/absolute/);
    expect(unsafePath('a\u0001')).toMatch(/control/);
  });
});
