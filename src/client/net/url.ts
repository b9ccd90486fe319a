/** The endpoint a client tool talks to: `https://host[:port]`, with or without the `/v1` Cline wants. Pure. */

export interface Target {
  /** scheme://host[:port], no path. */
  readonly origin: string;
  /** The name the certificate must cover (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** origin + /v1: what goes into Cline's Base URL field. */
  readonly baseUrl: string;
}

export type TargetResult =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly message: string };

export function parseTarget(text: string): TargetResult {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return {
      ok: false,
      message: `"${text}" is not a URL; expected e.g. https://192.0.2.10 or https://192.0.2.10/v1.`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `"${text}" is not an https:// URL; expected e.g. https://192.0.2.10.` };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      message:
        'the URL holds credentials (user:password@); OpenAI clients such as Cline cannot use them. Give --key (or --user and --password) instead.',
    };
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '' && path !== '/v1') {
    return {
      ok: false,
      message: `"${text}" has the path ${url.pathname}; give the server's root or its /v1 URL.`,
    };
  }
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const origin = `${url.protocol}//${url.host}`;
  return { ok: true, target: { origin, host, port, secure, baseUrl: `${origin}/v1` } };
}
