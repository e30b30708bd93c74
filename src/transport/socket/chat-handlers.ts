import {
  ClientEvent,
    acceptRoomSchema,
  declineRoomSchema,
  joinRoomSchema,
  parsePayload,
  readSchema,
  syncSchema,
  typingSchema,
  type ClientEventName,
  type MessagePayload,
} from '../../protocol/index.js';
import type { z } from 'zod';
import type { MessageService } from '../../services/message-service.js';
import type { PresenceService } from '../../services/presence-service.js';
import { counterpartOf, type RoomService } from '../../services/room-service.js';
import type { EventHandler } from './event-binder.js';
import type { Notifier } from './notifier.js';

export interface ChatServices {
  rooms: RoomService;
  messages: MessageService;
  presence: PresenceService;
  messageSchema: z.ZodType<MessagePayload, unknown>;
}

/**
 * The client events of one namespace: validate, call a service, shape the ack and the notices. Built once
 * per namespace and shared by its sockets (the acting user comes in as `actor`), so an idle connection
 * carries no handler closures of its own.
 */
export function chatHandlers(services: ChatServices, notifier: Notifier): Record<ClientEventName, EventHandler> {
  const { rooms, messages, presence } = services;
  return {
    [ClientEvent.JoinRoom]: async (actor, raw) => {
      const { room, created, counterpart } = await rooms.join(actor, parsePayload(joinRoomSchema, raw, 'join-room payload'));
      // The room is stored by now: failing the event would make a retry find it and notify nobody, so
      // presence unreachable (Redis down) only costs the courtesy `online` notice.
      const counterpartOnline = created && (await presence.isOnline(actor.namespace, counterpart).catch(() => false));
      return {
        reply: { data: { room } },
        after: () => {
          if (!created) return;
          notifier.roomRequested(counterpart, room);
          notifier.presence(actor.userId, 'online', [counterpart]);
          if (counterpartOnline) notifier.presence(counterpart, 'online', [actor.userId]);
        },
      };
    },

    [ClientEvent.AcceptRoom]: async (actor, raw) => {
      const { room, changed } = await rooms.accept(actor, parsePayload(acceptRoomSchema, raw, 'accept-room payload'));
      return {
        reply: { data: { room } },
        after: () => {
          if (changed) notifier.roomAccepted(actor.userId, room);
        },
      };
    },

    [ClientEvent.DeclineRoom]: async (actor, raw) => {
      const { room } = await rooms.decline(actor, parsePayload(declineRoomSchema, raw, 'decline-room payload'));
      return { reply: { data: { room } }, after: () => notifier.roomDeclined(room) };
    },

    [ClientEvent.Message]: async (actor, raw) => {
      const { message, created } = await messages.send(actor, parsePayload(services.messageSchema, raw, 'message payload'));
      return {
        reply: { data: { message } },
        after: () => {
          if (created) notifier.message(message);
        },
      };
    },

    [ClientEvent.Typing]: async (actor, raw) => {
      const { roomToken } = parsePayload(typingSchema, raw ?? {}, 'typing payload');
      const room = await messages.typing(actor, roomToken);
      return {
        reply: {},
        after: () => notifier.typing(counterpartOf(room, actor.userId), room.roomToken, actor.userId),
      };
    },

    [ClientEvent.Read]: async (actor, raw) => {
      const payload = parsePayload(readSchema, raw, 'read payload');
      const { room, advanced, dt } = await messages.markRead(actor, payload);
      return {
        reply: {},
        after: () => {
          if (!advanced) return;
          notifier.read(counterpartOf(room, actor.userId), {
            success: true,
            roomToken: room.roomToken,
            userId: actor.userId,
            messageId: payload.messageId,
            dt,
          });
        },
      };
    },

    [ClientEvent.Sync]: async (actor, raw) => {
      const result = await messages.sync(actor, parsePayload(syncSchema, raw ?? {}, 'sync payload'));
      return { reply: { data: result } };
    },
  };
}
