/**
 * A one-backend TCP "load balancer" on loopback for the multi-node tests: clients keep one URL while the
 * test moves them between nodes, as a balancer does when a node dies or is drained.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SwitchProxy {
  readonly url: string;
  /** Where new connections go; `null` refuses them (closed at once), like a balancer with no healthy node. */
  route(targetUrl: string | null): void;
  /** Drops every open connection without a close handshake reaching either side first. */
  cut(): void;
  close(): Promise<void>;
}

export async function createSwitchProxy(targetUrl: string | null): Promise<SwitchProxy> {
  let target = targetUrl;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (!target) return client.destroy();
    const { hostname, port } = new URL(target);
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route: (next) => {
      target = next;
    },
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
