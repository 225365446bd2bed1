import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lessonSchema } from '../../playground/protocol/lesson-schema.ts';

const lessonsDir = join(import.meta.dirname, '..', '..', 'src', 'lessons');

function frontmatter(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!match) throw new Error(`${file} has no frontmatter`);
  return load(match[1]!);
}

const valid = {
  title: 'A lesson',
  summary: 'One line.',
  minutes: 20,
  hints: ['Look at the port.', 'Read PORT from the environment.'],
  lab: { instances: 3, strategy: 'round-robin', entry: 'server.js' },
};

/** The readable message a failed parse gives, as an author would see it. */
function problems(data: unknown): string {
  const result = lessonSchema.safeParse(data);
  expect(result.success).toBe(false);
  return z.prettifyError(result.error!);
}

describe('lesson frontmatter schema', () => {
  it('accepts a minimal lesson and fills in the lab defaults', () => {
    const lesson = lessonSchema.parse({ title: 't', summary: 's', minutes: 15, hints: ['h', 'i'] });
    expect(lesson.lab.instances).toBe(3);
    expect(lesson.lab.entry).toBe('server.js');
    expect(lesson.lab.users).toEqual({ login: '/login', visit: '/me', logout: '/logout' });
  });

  it('names an unknown top-level key', () => {
    const message = problems({ ...valid, tilte: 'typo' });
    expect(message).toContain('tilte');
    expect(message).toMatch(/unrecognized key/i);
  });

  it('names an unknown key inside lab, with its path', () => {
    const message = problems({ ...valid, lab: { ...valid.lab, instancez: 3 } });
    expect(message).toContain('instancez');
    expect(message).toContain('lab');
  });

  it('names a key with a wrong type, with its full path', () => {
    const result = lessonSchema.safeParse({ ...valid, lab: { ...valid.lab, instances: 'three' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['lab', 'instances']);
    expect(z.prettifyError(result.error!)).toContain('lab.instances');
  });

  it('names a missing required key', () => {
    const { title: _title, ...rest } = valid;
    const result = lessonSchema.safeParse(rest);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain('title');
  });

  it('rejects values outside their range and names the key', () => {
    expect(problems({ ...valid, lab: { instances: 42 } })).toContain('lab.instances');
    expect(problems({ ...valid, lab: { strategy: 'random' } })).toContain('lab.strategy');
    expect(problems({ ...valid, hints: [] })).toContain('hints');
    expect(problems({ ...valid, hints: ['a', 'b', 'c', 'd'] })).toContain('hints');
    expect(problems({ ...valid, summary: 'x'.repeat(161) })).toContain('summary');
  });

  it('requires a time estimate in whole minutes from 5 to 90, and says so', () => {
    const { minutes: _minutes, ...noEstimate } = valid;
    const missing = problems(noEstimate);
    expect(missing).toContain('minutes');
    expect(missing).toMatch(/time estimate is missing/);
    for (const wrong of [4, 91, 12.5, '15', 'a quarter of an hour']) {
      const message = problems({ ...valid, minutes: wrong });
      expect(message, String(wrong)).toContain('minutes');
      expect(message, String(wrong)).toMatch(/whole number of minutes from 5 to 90/);
      expect(message, String(wrong)).toContain(`(got ${JSON.stringify(wrong)})`);
    }
    expect(lessonSchema.parse({ ...valid, minutes: 5 }).minutes).toBe(5);
    expect(lessonSchema.parse({ ...valid, minutes: 90 }).minutes).toBe(90);
  });

  it('documents every key with .describe()', () => {
    const undocumented: string[] = [];
    const checked: string[] = [];
    const description = (schema: z.ZodType): string | undefined => {
      let s: z.ZodType | undefined = schema;
      while (s) {
        if (s.description) return s.description;
        s = (s.def as { innerType?: z.ZodType }).innerType;
      }
      return undefined;
    };
    const unwrap = (schema: z.ZodType): z.ZodType => {
      let s = schema;
      for (;;) {
        const def = s.def as { innerType?: z.ZodType; element?: z.ZodType; type: string };
        if (def.innerType) s = def.innerType;
        else if (def.type === 'array' && def.element) s = def.element;
        else return s;
      }
    };
    const walk = (schema: z.ZodType, path: string) => {
      const inner = unwrap(schema);
      if (inner instanceof z.ZodObject) {
        for (const [key, value] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
          const keyPath = path ? `${path}.${key}` : key;
          checked.push(keyPath);
          if (!description(value)) undocumented.push(keyPath);
          walk(value, keyPath);
        }
      }
    };
    walk(lessonSchema, '');
    expect(checked).toEqual(expect.arrayContaining(['title', 'lab.instances', 'lab.users.visit', 'lab.actions.label']));
    expect(undocumented).toEqual([]);
  });
});

describe('the course lessons', () => {
  const folders = readdirSync(lessonsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  it('are folders named <number>-<slug>', () => {
    expect(folders.length).toBeGreaterThan(0);
    for (const folder of folders) expect(folder).toMatch(/^\d+-[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(folders)('%s/index.md has valid frontmatter', (folder) => {
    const result = lessonSchema.safeParse(frontmatter(join(lessonsDir, folder, 'index.md')));
    expect(result.success ? '' : z.prettifyError(result.error)).toBe('');
  });
});
