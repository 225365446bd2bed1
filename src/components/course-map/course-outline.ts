/**
 * The course as a whole (src/lessons/course.yml): its learning goals and its parts, checked against a schema and
 * against the lessons that exist. The lesson folders stay the one source of the lessons themselves; this file only
 * groups them, so a part names the lesson it starts with and runs until the next part starts.
 */
import { load as loadYaml } from 'js-yaml';
import { z } from 'zod';

export const GOALS = { min: 4, max: 6 } as const;

export const courseSchema = z
  .object({
    goals: z
      .array(z.string().trim().min(1).max(160))
      .min(GOALS.min)
      .max(GOALS.max)
      .describe(`What a learner can do after the course: ${GOALS.min} to ${GOALS.max} concrete abilities, one line (at most 160 characters) each.`),
    parts: z
      .array(
        z
          .object({
            title: z.string().trim().min(1).max(40).describe('Short name of the part, e.g. "Sessions".'),
            summary: z.string().trim().min(1).max(160).describe('One line on what the part covers.'),
            from: z.string().min(1).describe('Slug of the part\'s first lesson (its folder name without the number), e.g. "map-trap".'),
          })
          .strict(),
      )
      .min(1)
      .describe('The course\'s parts in order; each runs from its `from` lesson until the next part starts.'),
  })
  .strict()
  .describe('The course file, src/lessons/course.yml.');

export type CourseFile = z.infer<typeof courseSchema>;

export interface CoursePart<L> {
  title: string;
  summary: string;
  lessons: L[];
}

/** Parses and validates the course file; errors name the file and the key, as lesson frontmatter errors do. */
export function parseCourse(source: string, file: string): CourseFile {
  let data: unknown;
  try {
    data = loadYaml(source);
  } catch (error) {
    throw new Error(`${file}: not YAML (${(error as Error).message})`);
  }
  const parsed = courseSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`${file}: invalid course file\n${problems}`);
  }
  return parsed.data;
}

/**
 * The lessons, in course order, split into the file's parts. The first part must start at the first lesson and
 * each part after the previous one, so every lesson lands in exactly one part.
 */
export function groupLessons<L extends { slug: string }>(course: CourseFile, lessons: readonly L[], file: string): CoursePart<L>[] {
  const slugs = lessons.map((l) => l.slug);
  const starts = course.parts.map((part, i) => {
    const at = slugs.indexOf(part.from);
    if (at < 0) throw new Error(`${file}: parts.${i}.from: there is no lesson "${part.from}"; the lessons are ${slugs.join(', ')}`);
    return at;
  });
  starts.forEach((at, i) => {
    if (i === 0 && at !== 0) {
      throw new Error(`${file}: parts.0.from: the first part must start at the first lesson, "${slugs[0]}", not "${course.parts[0]!.from}"`);
    }
    const before = starts[i - 1];
    if (before !== undefined && at <= before) {
      throw new Error(`${file}: parts.${i}.from: "${course.parts[i]!.from}" must come after "${course.parts[i - 1]!.from}", where the part before starts; parts follow the course order`);
    }
  });
  return course.parts.map((part, i) => ({
    title: part.title,
    summary: part.summary,
    lessons: lessons.slice(starts[i], starts[i + 1] ?? lessons.length),
  }));
}
