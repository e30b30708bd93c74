import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { ApiKeys } from '../../../platform/api-keys.js';
import type { PlatformMessages } from '../../../platform/platform-messages.js';
import type { PlatformRooms } from '../../../platform/platform-rooms.js';
import type { PlatformUsers } from '../../../platform/platform-users.js';
import { ParleyError } from '../../../protocol/index.js';
import type { ChatStore } from '../../../store/chat-store.js';
import type { Webhooks } from '../../../webhooks/create-webhooks.js';
import type { ReportService } from '../../../services/report-service.js';
import type { Notifier } from '../../socket/notifier.js';
import { registerMessageRoutes } from './messages.js';
import { registerReportRoutes } from './reports.js';
import { registerRoomRoutes } from './rooms.js';
import { registerUserRoutes } from './users.js';
import { registerWebhookRoutes } from './webhooks.js';

export const PLATFORM_PREFIX = '/v1/platform';

/** What the platform routes use. Route groups added by other features may ask for more (extend this). */
export interface PlatformDeps {
  keys: ApiKeys;
  rooms: PlatformRooms;
  messages: PlatformMessages;
  users: PlatformUsers;
  webhooks: Webhooks;
  store: ChatStore;
  /** §13: the moderators' report queue. */
  reports: ReportService;
  /** Members' sockets of a namespace (undefined before the socket server exists). */
  notifier: (namespace: string) => Notifier | undefined;
}

/** A file of platform routes: registered inside the authenticated scope, paths relative to /v1/platform. */
export type PlatformRouteGroup = (scope: FastifyInstance, deps: PlatformDeps) => void;

/** Every platform route group; a new group (e.g. reports) is one more entry here. */
export const platformRouteGroups: PlatformRouteGroup[] = [
  registerRoomRoutes,
  registerMessageRoutes,
  registerUserRoutes,
  registerWebhookRoutes,
  registerReportRoutes,
];

/** `Authorization: Bearer <apiKey>`, checked before anything else (body parsing, validation, routing). */
export function platformAuth(keys: ApiKeys): onRequestHookHandler {
  return async (req) => {
    if (!keys.accepts(req.headers.authorization)) {
      throw new ParleyError(
        'unauthorized',
        keys.configured ? 'A valid platform API key is required (Authorization: Bearer <apiKey>).' : 'The platform API is disabled: no API key is configured.',
      );
    }
  };
}

/** The platform API (server to server) under /v1/platform/, behind the API key. */
export async function registerPlatformApi(app: FastifyInstance, deps: PlatformDeps, groups = platformRouteGroups): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', platformAuth(deps.keys));
      // An unknown route under the prefix is answered here, behind the key (401 first): a not-found handler
      // would not do, as the demo page's static files own the app-wide `/*` route.
      // OPTIONS stays with the CORS plugin, if any.
      for (const url of ['/', '/*']) {
        scope.route({
          method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
          url,
          schema: { hide: true },
          handler: async (req) => {
            throw new ParleyError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`);
          },
        });
      }
      // zod validates in the handlers (one source of truth); the route schemas feed the OpenAPI document only.
      scope.setValidatorCompiler(() => (data) => ({ value: data }));
      scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
      for (const group of groups) group(scope, deps);
    },
    { prefix: PLATFORM_PREFIX },
  );
}
