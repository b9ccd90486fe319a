/** Listening TCP sockets from /proc/net/tcp and /proc/net/tcp6 (no ss or netstat needed). Pure. */

export interface ListenSocket {
  /** "127.0.0.1", "0.0.0.0", "::", "::1" … */
  readonly address: string;
  readonly port: number;
}

const LISTEN = '0A';

/** /proc stores each 32-bit word of the address in host (little-endian) byte order. */
function wordBytes(hex: string): number[] {
  const bytes = (hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16));
  return bytes.reverse();
}

function ipv6(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap(wordBytes);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // WHATWG URL parsing gives the RFC 5952 form: "::", "::1", "2001:db8::10".
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function parseProcNetTcp(text: string, family: 4 | 6): ListenSocket[] {
  const sockets: ListenSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (local === undefined || fields[3] !== LISTEN) continue;
    const [hex, portHex] = local.split(':');
    if (hex === undefined || portHex === undefined) continue;
    const address = family === 4 ? wordBytes(hex).join('.') : ipv6(hex);
    sockets.push({ address, port: Number.parseInt(portHex, 16) });
  }
  return sockets;
}

export const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';
export const isWildcard = (address: string) => address === '0.0.0.0' || address === '::';
