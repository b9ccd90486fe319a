/**
 * Reads the capture QEMU's filter-dump writes on the guest's netdev (classic pcap, Ethernet frames) and sorts
 * every frame into what an appliance with no domain and no OneGate token may send or receive, or not:
 * ARP, DHCP with the slirp host, IPv6 neighbour discovery and multicast listener reports, and TCP flows on the
 * forwarded ports. Everything else is listed, one line per kind, with how often it was seen.
 */
import { readFileSync } from 'node:fs';

export interface CaptureSummary {
  readonly frames: number;
  /** kind → count, for the allowed kinds. */
  readonly allowed: ReadonlyMap<string, number>;
  /** description → count, for everything else. */
  readonly unexpected: ReadonlyMap<string, number>;
}

function ipv4(bytes: Buffer, at: number): string {
  return [...bytes.subarray(at, at + 4)].join('.');
}

function ipv6(bytes: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(at + i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** `forwardedPorts`: the guest's ports the host forwards to (443 and 22). */
export function summariseCapture(path: string, forwardedPorts: readonly number[]): CaptureSummary {
  const data = readFileSync(path);
  const allowed = new Map<string, number>();
  const unexpected = new Map<string, number>();
  if (data.length < 24) return { frames: 0, allowed, unexpected };
  const little = data.readUInt32LE(0) === 0xa1b2c3d4 || data.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (at: number) => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
  let at = 24;
  let frames = 0;
  while (at + 16 <= data.length) {
    const length = u32(at + 8);
    const frame = data.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    frames += 1;
    if (frame.length < 14) continue;
    const type = frame.readUInt16BE(12);
    if (type === 0x0806) {
      count(allowed, 'ARP');
      continue;
    }
    if (type === 0x0800 && frame.length >= 34) {
      const ihl = ((frame[14] as number) & 0x0f) * 4;
      const protocol = frame[23] as number;
      const src = ipv4(frame, 26);
      const dst = ipv4(frame, 30);
      const l4 = 14 + ihl;
      const sport = frame.length >= l4 + 4 ? frame.readUInt16BE(l4) : 0;
      const dport = frame.length >= l4 + 4 ? frame.readUInt16BE(l4 + 2) : 0;
      if (protocol === 17 && [67, 68].includes(sport) && [67, 68].includes(dport)) {
        const peer = src === '10.0.2.2' || dst === '10.0.2.2' || dst === '255.255.255.255';
        count(peer ? allowed : unexpected, peer ? 'DHCP with the slirp host' : `DHCP ${src} → ${dst}`);
        continue;
      }
      if (protocol === 6 && (forwardedPorts.includes(sport) || forwardedPorts.includes(dport))) {
        count(allowed, `TCP on forwarded port ${forwardedPorts.includes(sport) ? sport : dport}`);
        continue;
      }
      const name =
        protocol === 6 ? 'TCP' : protocol === 17 ? 'UDP' : protocol === 1 ? 'ICMP' : `IP proto ${protocol}`;
      count(unexpected, `${name} ${src}${sport ? `:${sport}` : ''} → ${dst}${dport ? `:${dport}` : ''}`);
      continue;
    }
    if (type === 0x86dd && frame.length >= 54) {
      const next = frame[20] as number;
      const src = ipv6(frame, 22);
      const dst = ipv6(frame, 38);
      // Neighbour discovery (133–137) and MLDv2 reports (143); MLD comes in a hop-by-hop header (0).
      const icmpType =
        next === 58 && frame.length > 54 ? (frame[54] as number) : next === 0 ? (frame[62] as number) : -1;
      if ((next === 58 && icmpType >= 133 && icmpType <= 137) || icmpType === 143) {
        count(allowed, 'IPv6 neighbour discovery / MLD');
        continue;
      }
      const sport = frame.length >= 58 ? frame.readUInt16BE(54) : 0;
      const dport = frame.length >= 58 ? frame.readUInt16BE(56) : 0;
      if (next === 6 && (forwardedPorts.includes(sport) || forwardedPorts.includes(dport))) {
        count(allowed, `TCP on forwarded port ${forwardedPorts.includes(sport) ? sport : dport}`);
        continue;
      }
      const name =
        next === 6
          ? 'TCP'
          : next === 17
            ? 'UDP'
            : next === 58
              ? `ICMPv6 type ${icmpType}`
              : `IPv6 next ${next}`;
      count(
        unexpected,
        `${name} [${src}]${next === 6 || next === 17 ? `:${sport}` : ''} → [${dst}]${next === 6 || next === 17 ? `:${dport}` : ''}`,
      );
      continue;
    }
    count(unexpected, `ethertype 0x${type.toString(16)}`);
  }
  return { frames, allowed, unexpected };
}
