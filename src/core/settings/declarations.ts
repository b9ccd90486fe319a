/**
 * The ONEAPP_COPILOT_* contract: every context variable declared once. Validation, the README table,
 * appliance.sh's ONE_SERVICE_PARAMS and the marketplace USER_INPUTS are all generated from this list.
 */

import { COPILOT_ROLES, SERVICE_SECRET_MIN_LENGTH } from '../facts/oneflow.ts';
import { parseApiKeys } from './apiKeys.ts';
import { parseCertificateChain, parsePrivateKey } from './certificate.ts';
import {
  parseAutoOrInteger,
  parseCorsOrigins,
  parseDomain,
  parseEmail,
  parseInteger,
  parseIpv4,
  parsePassword,
  parseRole,
  parseServiceSecret,
  parseUserName,
} from './parsers.ts';
import { type Declaration, ok, type Parsed } from './types.ts';

/** Largest context Devstral Small 2 was trained for (tokens). */
export const MAX_CONTEXT_TOKENS = 262_144;
export const MIN_CONTEXT_TOKENS = 4_096;

const optional =
  <T>(parse: (text: string) => ReturnType<Declaration<T>['parse']>) =>
  (text: string) =>
    text.trim() === '' ? ok(null) : parse(text);

export const DECLARATIONS = {
  authKeys: {
    name: 'ONEAPP_COPILOT_AUTH_KEYS',
    stage: 'configure',
    description:
      "Bearer API keys (what Cline's API Key field sends), comma-separated, each name:key or a bare key (named key1, key2, …); keys have at least 32 characters. A key removed here is revoked.",
    default: '',
    defaultLabel: 'one generated sk- key, kept across reboots',
    secret: true,
    userInput: { mandatory: false, type: 'password' },
    serviceRoles: ['front'],
    parse: parseApiKeys,
  },
  authUser: {
    name: 'ONEAPP_COPILOT_AUTH_USER',
    stage: 'configure',
    description: 'User name for HTTP Basic auth (curl, browsers).',
    default: 'copilot',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: ['front'],
    parse: parseUserName,
  },
  authPassword: {
    name: 'ONEAPP_COPILOT_AUTH_PASSWORD',
    stage: 'configure',
    description: 'Password for HTTP Basic auth, 12 to 128 printable characters.',
    default: '',
    defaultLabel: 'generated, kept across reboots',
    secret: true,
    userInput: { mandatory: false, type: 'password' },
    serviceRoles: ['front'],
    parse: optional(parsePassword),
  },
  tlsDomain: {
    name: 'ONEAPP_COPILOT_TLS_DOMAIN',
    stage: 'bootstrap',
    description:
      "Public DNS name of this VM. When set, a Let's Encrypt certificate is requested for it (port 80 must be reachable); empty uses the appliance's own CA.",
    default: '',
    defaultLabel: 'empty (appliance CA)',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: ['front'],
    parse: optional(parseDomain),
  },
  tlsEmail: {
    name: 'ONEAPP_COPILOT_TLS_EMAIL',
    stage: 'bootstrap',
    description: "E-mail for the Let's Encrypt account (expiry notices). Optional.",
    default: '',
    defaultLabel: 'empty',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: ['front'],
    parse: optional(parseEmail),
  },
  tlsCertificate: {
    name: 'ONEAPP_COPILOT_TLS_CERT',
    stage: 'configure',
    description:
      "Operator-supplied certificate chain (PEM, leaf first), base64-encoded. Set together with ONEAPP_COPILOT_TLS_KEY; takes precedence over the appliance CA and Let's Encrypt.",
    default: '',
    defaultLabel: 'empty',
    secret: false,
    userInput: { mandatory: false, type: 'text64' },
    serviceRoles: ['front'],
    parse: parseCertificateChain,
  },
  tlsKey: {
    name: 'ONEAPP_COPILOT_TLS_KEY',
    stage: 'configure',
    description: 'Private key of ONEAPP_COPILOT_TLS_CERT (unencrypted PEM), base64-encoded.',
    default: '',
    defaultLabel: 'empty',
    secret: true,
    userInput: { mandatory: false, type: 'text64' },
    serviceRoles: ['front'],
    parse: parsePrivateKey,
  },
  modelContext: {
    name: 'ONEAPP_COPILOT_MODEL_CONTEXT',
    stage: 'configure',
    description:
      "Context window in tokens, or auto: the largest of 8192…32768 that fits the VM's RAM. Enter the same number as Cline's Context Window.",
    default: 'auto',
    secret: false,
    userInput: {
      mandatory: false,
      type: 'list',
      options: ['auto', '8192', '16384', '24576', '32768', '65536', '131072'],
    },
    serviceRoles: ['worker'],
    parse: (text: string) => parseAutoOrInteger(text, MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS, 'tokens'),
  },
  modelThreads: {
    name: 'ONEAPP_COPILOT_MODEL_THREADS',
    stage: 'configure',
    description: 'Inference threads, or auto: one per physical core.',
    default: 'auto',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: ['worker'],
    parse: (text: string) => parseAutoOrInteger(text, 1, 512),
  },
  apiCorsOrigins: {
    name: 'ONEAPP_COPILOT_API_CORS_ORIGINS',
    stage: 'configure',
    description:
      'Browser origins allowed by CORS: * or a comma-separated list such as https://ide.example.com.',
    default: '*',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: ['front'],
    parse: parseCorsOrigins,
  },
  apiTimeout: {
    name: 'ONEAPP_COPILOT_API_TIMEOUT',
    stage: 'configure',
    description: 'Seconds one request may take end to end (queueing, prompt processing and generation).',
    default: '1800',
    secret: false,
    userInput: { mandatory: false, type: 'number' },
    serviceRoles: ['front', 'worker'],
    parse: (text: string) => parseInteger(text, 60, 86_400, 'seconds'),
  },
  apiStreamGrace: {
    name: 'ONEAPP_COPILOT_API_STREAM_GRACE',
    stage: 'configure',
    description:
      'Seconds a streamed request may wait for its first token (queue and prompt processing) before the relay sends response headers and keep-alives; clients such as Cline give up after 300 s without headers.',
    default: '20',
    secret: false,
    userInput: { mandatory: false, type: 'number' },
    serviceRoles: ['worker'],
    parse: (text: string) => parseInteger(text, 1, 240, 'seconds'),
  },
  apiKeepAliveInterval: {
    name: 'ONEAPP_COPILOT_API_KEEPALIVE_INTERVAL',
    stage: 'configure',
    description:
      'Seconds between the SSE keep-alive comments a streamed request receives while it waits for its first token.',
    default: '15',
    secret: false,
    userInput: { mandatory: false, type: 'number' },
    serviceRoles: ['worker'],
    parse: (text: string) => parseInteger(text, 1, 120, 'seconds'),
  },
  apiQueueLimit: {
    name: 'ONEAPP_COPILOT_API_QUEUE_LIMIT',
    stage: 'configure',
    description:
      'Completion requests that may wait while the model serves another (it serves one at a time); more are refused with HTTP 429 and Retry-After.',
    default: '16',
    secret: false,
    userInput: { mandatory: false, type: 'number' },
    serviceRoles: ['worker'],
    parse: (text: string) => parseInteger(text, 0, 1024, 'requests'),
  },
  apiWarmup: {
    name: 'ONEAPP_COPILOT_API_WARMUP',
    stage: 'configure',
    description:
      "How many prompt prefixes (system prompt and tools, per API key) the relay remembers and re-warms after every model start, so each user's first request prefills only what is new; 0 turns it off and deletes what was stored. The stored prompts hold workspace paths and custom instructions: they stay on the VM, readable by root and the relay, and VM snapshots copy them.",
    default: '8',
    secret: false,
    userInput: { mandatory: false, type: 'number' },
    serviceRoles: ['worker'],
    parse: (text: string) => parseInteger(text, 0, 64, 'prefixes'),
  },
  role: {
    name: 'ONEAPP_COPILOT_SERVICE_ROLE',
    stage: 'configure',
    description:
      'standalone: this VM serves alone. In a OneFlow service (its template sets it per role): front terminates TLS, checks keys and routes each key to the worker holding its prompt cache; worker runs the model for the front only.',
    default: 'standalone',
    secret: false,
    userInput: { mandatory: false, type: 'list', options: [...COPILOT_ROLES] },
    serviceRoles: [],
    parse: parseRole,
  },
  serviceSecret: {
    name: 'ONEAPP_COPILOT_SERVICE_SECRET',
    stage: 'configure',
    description: `Shared by a OneFlow service's front and workers: the front sends it with every request and a worker serves nothing without it. At least ${SERVICE_SECRET_MIN_LENGTH} printable characters; required for the front and worker roles, unused standalone.`,
    default: '',
    defaultLabel: 'empty (required for front and worker)',
    secret: true,
    userInput: { mandatory: false, type: 'password' },
    serviceRoles: ['front', 'worker'],
    parse: optional(parseServiceSecret),
  },
  frontAddress: {
    name: 'ONEAPP_COPILOT_SERVICE_FRONT',
    stage: 'configure',
    description:
      "A OneFlow worker's front: the IPv4 address the worker serves, and the only one it lets in. The service template fills it from the front VM; required for the worker role, unused otherwise.",
    default: '',
    defaultLabel: 'empty (set by the service template for workers)',
    secret: false,
    userInput: { mandatory: false, type: 'text' },
    serviceRoles: [],
    parse: optional(parseIpv4),
  },
} as const satisfies Record<string, Declaration<unknown>>;

export type SettingKey = keyof typeof DECLARATIONS;

type ValueOf<D> = D extends { parse: (...args: never[]) => Parsed<infer T> } ? T : never;

/** Valid settings: one typed value per declaration. */
export type Settings = { readonly [K in SettingKey]: ValueOf<(typeof DECLARATIONS)[K]> };

export const DECLARATION_LIST: readonly Declaration<unknown>[] = Object.values(DECLARATIONS);
