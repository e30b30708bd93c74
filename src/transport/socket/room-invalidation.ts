import type { Server } from 'socket.io';
import { NodeEvent } from '../../protocol/index.js';

/**
 * Room status changes made on one node (the platform closing or reopening a room) reach every node's
 * room cache: locally at once, elsewhere through the adapter (serverSideEmit; only with several nodes).
 */
export function shareRoomChanges(
  io: Server,
  namespaces: readonly string[],
  forget: (namespace: string, roomToken: string) => void,
  clustered: boolean,
): (namespace: string, roomToken: string) => void {
  for (const name of namespaces) {
    const nsp = io.of(`/${name}`) as unknown as { on(event: string, listener: (token: unknown) => void): void };
    nsp.on(NodeEvent.RoomChanged, (token) => {
      if (typeof token === 'string') forget(name, token);
    });
  }
  return (namespace, roomToken) => {
    forget(namespace, roomToken);
    if (clustered) io.of(`/${namespace}`).serverSideEmit(NodeEvent.RoomChanged, roomToken);
  };
}
