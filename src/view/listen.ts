/**
 * Listening as `mcp-otel view` and `mcp-otel tail` do: on loopback by default, both 127.0.0.1 and ::1, so that an
 * exporter sending to `localhost` reaches it whichever address its resolver gives first.
 */
import type { Server } from 'node:http';
import { isIP } from 'node:net';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'];

/** The URL form of an address: IPv6 in brackets. */
export const urlHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

/**
 * Listens on each host, the first on `port` and the others on the port the first got (so that port 0 gives one port
 * for every address). A loopback address the machine does not have (::1 without IPv6) is skipped; any other error
 * fails.
 */
export async function listenOnAll(
  make: () => Server,
  hosts: string[],
  port: number,
): Promise<{ servers: Server[]; port: number }> {
  const servers: Server[] = [];
  let chosen = port;
  for (const [index, host] of hosts.entries()) {
    const server = make();
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
