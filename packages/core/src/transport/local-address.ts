import { createSocket } from 'node:dgram';

/**
 * The address of this machine's interface that traffic to `host` leaves from: what a
 * node or driver advertises so that others can pull objects from it. Connecting a UDP
 * socket sends nothing; it only asks the kernel for the route.
 */
export async function localAddressTowards(host: string, port: number): Promise<string> {
  const family = host.includes(':') && !host.startsWith('[') ? 'udp6' : 'udp4';
  const socket = createSocket(family);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host.replace(/^\[|\]$/g, ''), () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** Splits HOST:PORT (HOST may be a bracketed IPv6 address). */
/** Whether `address` is HOST:PORT with a port from 1 to 65535. */
export function isHostPort(address: string): boolean {
  const match = /^(.+):(\d+)$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  return match !== null && port >= 1 && port <= 65535;
}

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
