import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lessonPlaces } from '../../playground/course/lessons.ts';

// One rule for lesson folders wherever lessons are read (site, host, CLIs): what it accepts, skips and refuses.
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function course(...folders: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'course-'));
  dirs.push(dir);
  for (const folder of folders) fs.mkdirSync(path.join(dir, folder));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
  return dir;
}

describe('lesson folders', () => {
  it('orders lessons by number (10 after 9), skipping drafts and files', async () => {
    const places = await lessonPlaces(course('10-last', '09-capstone', '1-first', '_draft-idea', '.cache'));
    expect(places.map((p) => p.folder)).toEqual(['1-first', '09-capstone', '10-last']);
    expect(places.map((p) => [p.order, p.slug])).toEqual([[1, 'first'], [9, 'capstone'], [10, 'last']]);
  });

  it('refuses a folder that breaks the rule, naming it', async () => {
    await expect(lessonPlaces(course('01-ok', '03-Foo'))).rejects.toThrow(/"src\/lessons\/03-Foo" must be named <number>-<slug>/);
    await expect(lessonPlaces(course('notes'))).rejects.toThrow(/"src\/lessons\/notes"/);
  });

  it('refuses two lessons with one number or one slug', async () => {
    await expect(lessonPlaces(course('02-a', '2-b'))).rejects.toThrow(/share the number 2/);
    await expect(lessonPlaces(course('02-a', '03-a'))).rejects.toThrow(/share the slug "a"/);
  });
});
