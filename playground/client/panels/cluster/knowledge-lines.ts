/**
 * One instance card's "who do you know" lines: per virtual user, their shape and name and what the instance last
 * said ("✓ knows", "✕ unknown", "— not asked"), the full sentence for screen readers and as a tooltip.
 */
import { el } from '../../dom.ts';
import { setText } from '../panel-ui.ts';
import { displayName, USERS } from '../users/user-status.ts';
import { knowledgeWords, type Knowledge } from './instance-knowledge.ts';

interface Line {
  root: HTMLLIElement;
  look: HTMLElement;
  word: HTMLElement;
  sentence: HTMLElement;
}

export interface KnowledgeLines {
  root: HTMLUListElement;
  update(knowledgeOf: (user: string) => Knowledge, now: number): void;
}

export function knowledgeLines(instance: string): KnowledgeLines {
  const lines = new Map<string, Line>();
  const root = el('ul', { class: 'pg-know', 'aria-label': `What instance ${instance} last said about each user` });
  for (const user of USERS) {
    const word = el('span', { class: 'pg-know-word' });
    const look = el(
      'span',
      { class: 'pg-know-look', 'aria-hidden': 'true' },
      el('span', { class: `pg-shape pg-shape-${user.shape}` }),
      el('span', { class: 'pg-know-name' }, user.name),
      word,
    );
    const sentence = el('span', { class: 'visually-hidden' });
    const line = el('li', { class: 'pg-know-line', 'data-user': user.id, style: `--user: var(${user.colorVar})` }, look, sentence);
    lines.set(user.id, { root: line, look, word, sentence });
    root.append(line);
  }
  return {
    root,
    update(knowledgeOf, now) {
      for (const user of USERS) {
        const line = lines.get(user.id)!;
        const knowledge = knowledgeOf(user.id);
        const words = knowledgeWords(instance, user.name, knowledge, now, displayName);
        line.root.dataset.knowledge = knowledge.kind;
        line.root.dataset.tone = words.tone;
        setText(line.word, `${words.icon} ${words.word}`);
        setText(line.sentence, words.sentence);
        if (line.look.title !== words.sentence) line.look.title = words.sentence;
      }
    },
  };
}
