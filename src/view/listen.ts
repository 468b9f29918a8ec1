/**
 * Listening as `mcp-otel view` and `mcp-otel tail` do: on loopback by default, both 127.0.0.1 and ::1, so that an
 * exporter sending to `localhost` reaches it whichever address its resolver gives first.
 */
import type { Server } from 'node:http';
import { isIP } from 'node:net';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'];

/** The Host names a server on loopback answers to (any port): a page elsewhere, through DNS rebinding, has another. */
export const LOOPBACK_NAMES = ['127.0.0.1', '[::1]', 'localhost'];

/**
 * Limits on every server view and tail create, against slow or many peers (the defaults are 5 min, 1 min and none).
 * An exporter sends a whole request in well under a second on loopback and gives up after 10 s by default; a process
 * opens a connection or two per signal, so 256 is many apps at once.
 */
export const SERVER_LIMITS = { requestTimeout: 30_000, headersTimeout: 10_000, maxConnections: 256 };

/** The addresses to listen on for `--host`: loopback (both) when none is given or it is `localhost`. */
export function listenAddresses(host: string | undefined): string[] {
  return host === undefined || host.toLowerCase() === 'localhost' ? LOOPBACK_HOSTS : [host];
}

export const isLoopback = (host: string): boolean =>
  host.toLowerCase() === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/**
 * The Host names the OTLP port answers to: loopback's (and the address given) when it listens on loopback; any
 * (undefined) when the user chose another address, which peers reach by names we cannot know (host.docker.internal).
 */
export function otlpAllowedHosts(host: string | undefined): string[] | undefined {
  if (host === undefined) return LOOPBACK_NAMES;
  return isLoopback(host) ? [...LOOPBACK_NAMES, urlHost(host)] : undefined;
}

/** A Host header (lowercased) against allowed names, lowercased: `name` allows any port, `name:port` that port only. */
export function hostAllowed(host: string, allowed: ReadonlySet<string>): boolean {
  if (host === '') return false;
  if (allowed.has(host)) return true;
  const name = host.replace(/:[0-9]+$/, '');
  return name !== host && allowed.has(name);
}

/** The URL form of an address: IPv6 in brackets. */
export const urlHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

/**
 * Listens on each host, the first on `port` and the others on the port the first got (so that port 0 gives one port
 * for every address). A loopback address the machine does not have (::1 without IPv6) is skipped; any other error
 * fails. Each server gets SERVER_LIMITS.
 */
export async function listenOnAll(
  make: () => Server,
  hosts: string[],
  port: number,
): Promise<{ servers: Server[]; port: number }> {
  const servers: Server[] = [];
  let chosen = port;
  for (const [index, host] of hosts.entries()) {
    const server = Object.assign(make(), SERVER_LIMITS);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(chosen, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The first address got a free port that the second has taken: the second is left out.
      const taken = code === 'EADDRINUSE' && port === 0;
      if (index > 0 && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || taken)) continue;
      for (const opened of servers) opened.close();
      throw error;
    }
    const address = server.address();
    if (index === 0 && address !== null && typeof address === 'object') chosen = address.port;
    servers.push(server);
  }
  return { servers, port: chosen };
}
