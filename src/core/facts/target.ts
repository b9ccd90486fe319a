/**
 * Where the serving stack runs: the appliance itself, or a sandbox directory on loopback ports. The pure
 * renderers take this so the same nginx configuration is what the appliance runs and what the tests exercise.
 */
import { posix } from 'node:path';
import { RELAY_ADDRESS } from './layout.ts';

export interface ServingTarget {
  /** Prefix of every path nginx reads or writes: '/' on the appliance, the sandbox directory otherwise. */
  readonly root: string;
  /** nginx `listen` addresses for HTTPS, and for the port-80 server (ACME webroot + redirect) when a domain is set. */
  readonly httpsListen: readonly string[];
  readonly httpListen: readonly string[];
  /** The HTTPS port clients see, for redirects. */
  readonly httpsPort: number;
  /** nginx worker user; null leaves it to nginx (a sandbox run by a normal user). */
  readonly nginxUser: string | null;
  /** false: nginx stays in the foreground (the sandbox supervises it). */
  readonly daemon: boolean;
  /** Load the distribution's dynamic modules (/etc/nginx/modules-enabled): only the machine's own nginx has them. */
  readonly systemModules: boolean;
  /** What nginx proxies the API to. */
  readonly upstream: { readonly host: string; readonly port: number };
}

export const APPLIANCE_TARGET: ServingTarget = {
  root: '/',
  httpsListen: ['443', '[::]:443'],
  httpListen: ['80', '[::]:80'],
  httpsPort: 443,
  nginxUser: 'www-data',
  daemon: true,
  systemModules: true,
  upstream: RELAY_ADDRESS,
};

/** A path as nginx must see it under the target's root. */
export function under(target: ServingTarget, path: string): string {
  return posix.join(target.root, path);
}
