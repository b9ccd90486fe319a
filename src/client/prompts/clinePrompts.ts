/**
 * Requests shaped like what Cline sends: a long agent system
 * prompt, and either native `tools` (Cline 4.x, Vercel AI SDK) or tools described as XML in the text with
 * user content as text parts (Cline 3.x with a "devstral" model id). Written for this tool, not Cline's own text;
 * both share the same leading system text so a server with a prompt cache reuses it between the two. Pure.
 */
import { syntheticCode } from './syntheticCode.ts';

const AGENT_INTRO = `You are a software engineering agent working inside the user's editor. You complete the task step by
step, using one tool per message, and you wait for the result of each tool before you continue.

RULES
- The current working directory is /home/dev/project; every path you use is relative to it.
- Read a file before you change it; prefer small, targeted edits over rewriting whole files.
- Never ask for information you can obtain with a tool; ask a follow-up question only when the task is ambiguous.
- Explain briefly what you are about to do before each tool call.
- When the task is done, present the result with the completion tool and do not end with a question.
- Commands run in the user's shell; mark commands that change the system as requiring approval.

SYSTEM INFORMATION
Operating system: Linux 6.8
Default shell: /bin/bash
Home directory: /home/dev

ENVIRONMENT DETAILS
The open editor shows the following file:
`;

/** The shared leading system text, about `tokens` tokens long. */
export function agentSystemPrompt(tokens: number): string {
  return `${AGENT_INTRO}${syntheticCode(Math.max(0, tokens - 400), 7)}\n`;
}

interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly required: readonly string[];
}

const TOOLS: readonly ToolSpec[] = [
  {
    name: 'read_file',
    description: 'Read the contents of a file at the given path.',
    parameters: { path: 'Path of the file, relative to the working directory.' },
    required: ['path'],
  },
  {
    name: 'write_to_file',
    description: 'Write content to a file, creating it (and its directories) if needed.',
    parameters: { path: 'Path of the file.', content: 'The complete new content.' },
    required: ['path', 'content'],
  },
  {
    name: 'replace_in_file',
    description: 'Replace sections of a file using SEARCH/REPLACE blocks.',
    parameters: { path: 'Path of the file.', diff: 'One or more SEARCH/REPLACE blocks.' },
    required: ['path', 'diff'],
  },
  {
    name: 'execute_command',
    description: 'Run a shell command in the working directory.',
    parameters: {
      command: 'The command line.',
      requires_approval: 'true when the command changes the system.',
    },
    required: ['command', 'requires_approval'],
  },
  {
    name: 'search_files',
    description: 'Search files under a directory with a regular expression.',
    parameters: {
      path: 'Directory to search.',
      regex: 'Regular expression.',
      file_pattern: 'Glob, e.g. *.ts.',
    },
    required: ['path', 'regex'],
  },
  {
    name: 'list_files',
    description: 'List the files in a directory.',
    parameters: { path: 'Directory.', recursive: 'true to list recursively.' },
    required: ['path'],
  },
  {
    name: 'attempt_completion',
    description: 'Present the result of the task to the user.',
    parameters: { result: 'What was done.' },
    required: ['result'],
  },
];

export const CLINE_TOOL_NAMES: readonly string[] = TOOLS.map((tool) => tool.name);

/** OpenAI function-calling definitions, as Cline 4.x sends them. */
export function nativeTools(): object[] {
  return TOOLS.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: {
        type: 'object',
        properties: Object.fromEntries(
          Object.entries(tool.parameters).map(([name, description]) => [
            name,
            { type: 'string', description },
          ]),
        ),
        required: tool.required,
      },
    },
  }));
}

/** The same tools described as XML in text, as Cline 3.x does for models without native tool calls. */
export function xmlToolSection(): string {
  const sections = TOOLS.map((tool) => {
    const params = Object.entries(tool.parameters)
      .map(
        ([name, description]) =>
          `- ${name}: (${tool.required.includes(name) ? 'required' : 'optional'}) ${description}`,
      )
      .join('\n');
    const usage = Object.keys(tool.parameters)
      .map((name) => `<${name}>${name} here</${name}>`)
      .join('\n');
    return `## ${tool.name}\nDescription: ${tool.description}\nParameters:\n${params}\nUsage:\n<${tool.name}>\n${usage}\n</${tool.name}>`;
  });
  return `\nTOOL USE\nWrite each tool call as XML: the tool's name as the outer tag, each parameter as an inner tag.\n\n${sections.join('\n\n')}\n`;
}

const TASK = 'Read src/main.ts and tell me in one sentence what it does.';

/** A Cline 4.x-shaped streaming request body: long system prompt, native tools, include_usage. */
export function cline4Request(model: string, systemTokens: number, maxTokens: number): object {
  return {
    model,
    messages: [
      { role: 'system', content: agentSystemPrompt(systemTokens) },
      { role: 'user', content: `<task>\n${TASK}\n</task>` },
    ],
    tools: nativeTools(),
    tool_choice: 'auto',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
  };
}

/** A Cline 3.x-shaped streaming request body: XML tools in the system prompt, text parts, no `tools`. */
export function cline3Request(model: string, systemTokens: number, maxTokens: number): object {
  return {
    model,
    messages: [
      { role: 'system', content: `${agentSystemPrompt(systemTokens)}${xmlToolSection()}` },
      {
        role: 'user',
        content: [
          { type: 'text', text: `<task>\n${TASK}\n</task>` },
          {
            type: 'text',
            text: '<environment_details>\n# Current working directory files\nsrc/main.ts\npackage.json\n</environment_details>',
          },
        ],
      },
    ],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
  };
}
