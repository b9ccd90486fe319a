/** How values appear in messages: secrets never verbatim, other values quoted and shortened. */

const MAX_SHOWN = 80;

export function maskSecret(value: string): string {
  return `<hidden, ${value.length} characters>`;
}

export function quote(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return JSON.stringify(shown);
}

/** The value as a message may show it. */
export function showValue(value: string, secret: boolean): string {
  return secret ? maskSecret(value) : quote(value);
}
