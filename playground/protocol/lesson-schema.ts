/**
 * The frontmatter of a lesson's index.md: what a course author writes, checked when the site builds and when the
 * lab host loads the lesson. Every key carries the description an author sees; unknown keys are errors.
 */
import { z } from 'zod';
import { DEFAULT_ROUTES, MAX_INSTANCES, MIN_INSTANCES, STRATEGIES } from '../lab/rules.js';

/** A lesson has two or three hints: a nudge, then nearly the answer (more would only give it away). */
export const HINTS = { min: 2, max: 3 } as const;

/** A lesson's time estimate, reading and lab together, in whole minutes. */
export const MINUTES = { min: 5, max: 90 } as const;

/** One message for every way `minutes` can be wrong, naming what the author wrote. */
function minutesError(issue: { input?: unknown }): string {
  const rule = `a whole number of minutes from ${MINUTES.min} to ${MINUTES.max}, reading and lab together, e.g. "minutes: 20"`;
  return issue.input === undefined ? `the lesson's time estimate is missing; add ${rule}` : `must be ${rule} (got ${JSON.stringify(issue.input)})`;
}

export const minutesSchema = z
  .number({ error: minutesError })
  .int({ error: minutesError })
  .min(MINUTES.min, { error: minutesError })
  .max(MINUTES.max, { error: minutesError })
  .describe(`How long the lesson takes, reading and lab together, in whole minutes (${MINUTES.min}–${MINUTES.max}); shown on the course map and added up into the course's total.`);

/** Balancing strategies the lab's load balancer implements. */
export const strategySchema = z
  .enum(STRATEGIES)
  .describe('How the balancer picks an instance: in turn, the one with fewest open requests, or by affinity cookie.');

export const userRoutesSchema = z
  .object({
    login: z.string().startsWith('/').default(DEFAULT_ROUTES.login).describe('Path a virtual user POSTs {"user": name} to in order to log in.'),
    visit: z.string().startsWith('/').default(DEFAULT_ROUTES.visit).describe('Path a virtual user GETs on each visit; logged in only when it answers 2xx with JSON naming the user (e.g. {"user":"alice"}), logged out on 401/403 or an answer naming nobody.'),
    logout: z.string().startsWith('/').default(DEFAULT_ROUTES.logout).describe('Path a virtual user POSTs to in order to log out.'),
  })
  .strict()
  .describe('The HTTP routes the virtual users (Alice, Bob, Carol) call.');

export const labActionSchema = z
  .object({
    label: z.string().min(1).describe('Button text shown in the users panel, e.g. "Burst of 20".'),
    method: z.enum(['GET', 'POST']).default('GET').describe('HTTP method of each request the action sends.'),
    path: z.string().startsWith('/').describe('Path each request of the action goes to, through the balancer.'),
    count: z.number().int().min(1).max(200).default(1).describe('How many requests the action fires at once.'),
  })
  .strict()
  .describe('An extra action a lesson offers in the users panel.');

export const labControlSchema = z
  .enum(['instances', 'scale', 'deploy', 'strategy', 'traffic'])
  .describe('A cluster control the playground offers: per-instance stop/start/restart, add/remove instances, rolling deploy, strategy picker, steady traffic.');

export const labSchema = z
  .object({
    instances: z.number().int().min(MIN_INSTANCES).max(MAX_INSTANCES).default(3).describe(`How many app instances the cluster starts with (${MIN_INSTANCES}–${MAX_INSTANCES}).`),
    strategy: strategySchema.default('round-robin'),
    strategies: z.array(strategySchema).optional().describe('Strategies the learner may switch between; defaults to only the starting strategy.'),
    entry: z.string().min(1).default('server.js').describe('File each instance runs with `node`, relative to the lab files.'),
    open: z.string().min(1).optional().describe('File the editor opens first; defaults to `entry`.'),
    readonly: z.array(z.string().min(1)).default([]).describe('Lab files shown in the editor but not editable by the learner.'),
    users: userRoutesSchema.prefault({}),
    controls: z.array(labControlSchema).default(['instances', 'scale', 'deploy', 'traffic']).describe('Which cluster controls the playground shows.'),
    actions: z.array(labActionSchema).default([]).describe('Extra user actions for this lesson (bursts, chat messages).'),
  })
  .strict()
  .describe('Settings of the lesson\'s lab cluster.');

export const lessonSchema = z
  .object({
    title: z.string().min(1).describe('Lesson title shown on the course map and as the page heading.'),
    summary: z.string().min(1).max(160).describe('One line on what the lesson teaches, shown on the course map.'),
    minutes: minutesSchema,
    hints: z.array(z.string().min(1)).min(HINTS.min).max(HINTS.max).describe(`${HINTS.min} or ${HINTS.max} hints from a nudge to almost the answer, revealed one at a time.`),
    lab: labSchema.prefault({}),
  })
  .strict()
  .describe('Frontmatter of a lesson\'s index.md.');

export type LessonMeta = z.infer<typeof lessonSchema>;
export type LabSettings = z.infer<typeof labSchema>;
export type Strategy = z.infer<typeof strategySchema>;
