/** What one `slm-copilot check` run knows before it sends anything. */
import type { Credentials } from '../net/credentials.ts';
import type { Trust } from '../net/http.ts';
import type { Target } from '../net/url.ts';

export interface CheckContext {
  readonly target: Target;
  readonly trust: Trust;
  readonly credentials: Credentials;
  /** The model id Cline will use. */
  readonly model: string;
  /** The browser origin the CORS preflight claims. */
  readonly origin: string;
  /** Per completion request. */
  readonly timeoutMs: number;
  readonly now: Date;
}

/** Size of the Cline-shaped system prompts: long enough to look like an agent's, short enough for a CPU check. */
export const CLINE_PROMPT_TOKENS = 2_500;
/** Tokens the Cline-shaped requests may generate (a short answer or one tool call). */
export const CLINE_MAX_TOKENS = 96;
/** Tokens the streaming check asks for: enough arrivals to tell streaming from buffering. */
export const STREAM_MAX_TOKENS = 40;
/** An expiry nearer than this is a failure: the appliance renews 30 days ahead, daily. */
export const EXPIRY_FAIL_DAYS = 21;
/** A key no gateway accepts, for the wrong-key check. */
export const WRONG_KEY = 'sk-slm-copilot-check-this-key-is-wrong-000000';
