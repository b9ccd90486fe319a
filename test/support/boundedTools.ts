/**
 * Tools whose parameters are bounded (an enum, an integer range, a maxLength), for the engine suites: llama.cpp
 * builds a grammar from them that constrains even a random model to a valid call. OpenAI's tool format.
 */
import assert from 'node:assert/strict';

export const BOUNDED_PATHS = ['src/config.ts', 'package.json', 'README.md'];
export const BOUNDED_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a file of the workspace',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string', enum: BOUNDED_PATHS } },
        required: ['path'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'list_files',
      description: 'List the workspace to a depth',
      parameters: {
        type: 'object',
        properties: { depth: { type: 'integer', minimum: 1, maximum: 3 } },
        required: ['depth'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_files',
      description: 'Search the workspace for a word',
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', maxLength: 12 },
          mode: { type: 'string', enum: ['exact', 'regex'] },
        },
        required: ['query', 'mode'],
        additionalProperties: false,
      },
    },
  },
] as const;

/** The call names one of BOUNDED_TOOLS and its arguments parse and fit that tool's schema. */
export function assertFitsBoundedTools(call: { name: string; arguments: string }): void {
  const args = JSON.parse(call.arguments) as Record<string, unknown>;
  const what = `${call.name}(${call.arguments})`;
  switch (call.name) {
    case 'read_file':
      assert.deepEqual(Object.keys(args), ['path'], what);
      assert.ok(BOUNDED_PATHS.includes(args.path as string), what);
      break;
    case 'list_files':
      assert.deepEqual(Object.keys(args), ['depth'], what);
      assert.ok(
        Number.isInteger(args.depth) && (args.depth as number) >= 1 && (args.depth as number) <= 3,
        what,
      );
      break;
    case 'search_files':
      assert.deepEqual(Object.keys(args).sort(), ['mode', 'query'], what);
      assert.ok(typeof args.query === 'string' && args.query.length <= 12, what);
      assert.ok(['exact', 'regex'].includes(args.mode as string), what);
      break;
    default:
      assert.fail(`a tool that is not in the list: ${what}`);
  }
}
