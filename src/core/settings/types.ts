/** Types shared by the settings contract: declarations, parse results and problems. */
import type { ServiceRole } from '../facts/oneflow.ts';

/** The one-apps stage in which a variable takes effect. */
export type Stage = 'configure' | 'bootstrap';

/** OpenNebula USER_INPUTS types this appliance uses. */
export type UserInputType = 'text' | 'text64' | 'password' | 'number' | 'list';

export interface UserInput {
  readonly mandatory: boolean;
  readonly type: UserInputType;
  /** For `list`: the offered values (the first is not special; the default is separate). */
  readonly options?: readonly string[];
}

/** What a parser returns: a value, or every reason the text was refused. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: string[] };

export interface ParseContext {
  /** The time certificate validity is checked against (injected so parsing stays pure). */
  readonly now: Date;
}

export interface Declaration<T> {
  readonly name: string;
  readonly stage: Stage;
  /** One sentence for the docs table, appliance help and the marketplace wizard. */
  readonly description: string;
  /** The context text used when the variable is empty or unset ('' when the value is generated). */
  readonly default: string;
  /** How the docs describe the default when it is not a plain text (e.g. generated values). */
  readonly defaultLabel?: string;
  readonly secret: boolean;
  readonly userInput: UserInput;
  /**
   * The OneFlow service roles whose VMs read it: a service-level input when both do, a role-level one when one does,
   * none when the template sets it per role (ONEAPP_COPILOT_SERVICE_ROLE).
   */
  readonly serviceRoles: readonly ServiceRole[];
  /** Parses the effective text (the default already substituted for an empty value). */
  readonly parse: (text: string, context: ParseContext) => Parsed<T>;
}

/** A refused variable: which one, and a sentence with the (masked) value, what is expected and the fix. */
export interface SettingsProblem {
  readonly variable: string;
  readonly message: string;
}

/** The one sentence a refused variable is shown as. */
export const problemSentence = (problem: SettingsProblem): string =>
  `${problem.variable}: ${problem.message}`;

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const refused = <T = never>(...problems: string[]): Parsed<T> => ({ ok: false, problems });
