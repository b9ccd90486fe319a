/**
 * The benchmark's conversations: a code-like prompt of the chosen size (turn 1), then the same conversation with
 * the answer and a short follow-up appended (turn 2), as an agent's next turn would be. A random session tag
 * opens every first turn, so no earlier run's prompt cache can serve it. Pure.
 */
import { syntheticCode } from '../prompts/syntheticCode.ts';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Tokens of code the second turn adds (plus the first answer). */
export const FOLLOW_UP_TOKENS = 256;

export function firstTurn(size: number, session: string, seed: number): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `Session ${session}. You are a coding assistant. Answer briefly and precisely.`,
    },
    {
      role: 'user',
      content: `Here is src/generated.ts:\n\n\`\`\`ts\n${syntheticCode(Math.max(1, size - 60), seed)}\n\`\`\`\n\nSummarise what this module does in two sentences.`,
    },
  ];
}

export function secondTurn(first: readonly ChatMessage[], answer: string, seed: number): ChatMessage[] {
  return [
    ...first,
    { role: 'assistant', content: answer.trim() === '' ? 'The module defines small data helpers.' : answer },
    {
      role: 'user',
      content: `Here is src/extra.ts:\n\n\`\`\`ts\n${syntheticCode(FOLLOW_UP_TOKENS, seed + 1)}\n\`\`\`\n\nHow does it relate to the first file? One sentence.`,
    },
  ];
}

/** "1k" → 1024, "16384" → 16384, "0.5k" → 512; null when it is not a size. */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(k)?$/i.exec(text.trim());
  if (match === null) return null;
  const value = Math.round(Number(match[1]) * (match[2] === undefined ? 1 : 1024));
  return value >= 16 && value <= 1_048_576 ? value : null;
}

export function sizeLabel(size: number): string {
  return size % 1024 === 0 ? `~${size / 1024}k` : `~${size}`;
}
