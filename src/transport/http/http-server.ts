import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { ParleyError, errorRegistry, toParleyError } from '../../protocol/index.js';
import { AuthFailure } from '../../auth/auth-failure.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { HistoryService } from '../../services/history-service.js';
import { registerDemoAssets } from './demo-assets.js';
import { registerHistoryRoute } from './history-route.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerPlatformApi, type PlatformDeps } from './platform/index.js';
import { registerUploadRoutes, type UploadRouteDeps } from './upload-route.js';

export interface HttpDeps {
  history: HistoryService;
  authenticator: Authenticator;
  metrics: Metrics;
  log: Logger;
  /** One probe per dependency (storage, redis), by name; a probe throws when its dependency is unreachable. */
  readiness: Readonly<Record<string, () => Promise<void>>>;
  corsOrigins: readonly string[];
  historyRate: { points: number; durationSeconds: number };
  demoDir: string | undefined;
  /** GET /docs/json is served (config serveDocs). */
  serveDocs: boolean;
  /** GET /metrics: open to anyone, or only with `Authorization: Bearer <token>`; absent when neither. */
  metricsAccess: { public: boolean; token: string | undefined };
  /** True from the moment shutdown starts: /readyz then answers 503 so balancers stop sending traffic. */
  draining: () => boolean;
  /** The platform API (server to server); absent: no /v1/platform routes. */
  platform?: PlatformDeps;
  /** Attachments (POST/GET /v1/uploads). */
  uploads?: UploadRouteDeps;
}

/** Fastify: history, health, metrics, OpenAPI and the demo page; Socket.IO shares its server. */
export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Path ids are up to 128 characters, more once percent-encoded (find-my-way's default cap is 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    forceCloseConnections: true,
  });

  app.setErrorHandler((err: FastifyError | ParleyError, req, reply) => {
    const error =
      err instanceof ParleyError
        ? err
        : err.statusCode === 429
          ? new ParleyError('rate_limited')
          : err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? new ParleyError('invalid_payload', err.message)
            : toParleyError(err);
    if (error.code === 'internal') deps.log.error({ err }, 'request failed');
    if (error.code === 'unauthorized') logUnauthorized(deps.log, error, req);
    deps.metrics.errors.inc({ code: error.code });
    return reply.status(errorRegistry[error.code].status).send({ success: false, error: error.toBody() });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ success: false, error: { code: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}.` } }),
  );

  if (deps.corsOrigins.length > 0) await app.register(cors, { origin: [...deps.corsOrigins] });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley HTTP API', version: '1.0.0', description: 'Chat history and operations endpoints.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          platformKey: { type: 'http', scheme: 'bearer', description: 'A platform API key (API_KEYS)' },
        },
      },
    },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      Object.assign(new ParleyError('rate_limited', `Too many requests; retry in ${context.after}.`), { statusCode: 429 }),
  });

  registerHistoryRoute(app, deps);
  if (deps.platform) await registerPlatformApi(app, deps.platform);
  if (deps.uploads) await registerUploadRoutes(app, deps.uploads);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ success: true, status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (deps.draining()) {
      return reply.status(503).send({ success: false, error: { code: 'internal', message: 'Shutting down.' }, status: 'draining' });
    }
    const checks = await probe(deps.readiness, deps.log);
    const down = Object.keys(checks).filter((name) => checks[name] === 'down');
    if (down.length === 0) return { success: true, status: 'ready', checks };
    const error = { code: 'internal', message: `Unreachable: ${down.join(', ')}.` };
    return reply.status(503).send({ success: false, error, checks });
  });
  registerMetricsRoute(app, deps);
  if (deps.serveDocs) app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.demoDir && existsSync(deps.demoDir)) {
    await app.register(fastifyStatic, { root: deps.demoDir, prefix: '/', index: ['index.html'] });
    await registerDemoAssets(app, deps.log);
  }
  return app;
}

/** Each 401 at info with its reason (never the token), so credential trouble is visible in the logs. */
function logUnauthorized(log: Logger, error: ParleyError, req: FastifyRequest): void {
  const reason = error instanceof AuthFailure ? error.reason : 'invalid';
  log.info({ reason, method: req.method, path: req.url.split('?')[0], ip: req.ip }, `request unauthorized: ${reason}`);
}

const PROBE_TIMEOUT_MS = 3000;

/** Runs every probe at once; one that fails or hangs past the timeout counts as `down`. */
async function probe(probes: HttpDeps['readiness'], log: Logger): Promise<Record<string, 'up' | 'down'>> {
  const names = Object.keys(probes);
  const results = await Promise.all(
    names.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      });
      try {
        await Promise.race([probes[name]!(), timeout]);
        return 'up' as const;
      } catch (err) {
        log.warn({ err, dependency: name }, 'not ready: dependency unreachable');
        return 'down' as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(names.map((name, i) => [name, results[i]!]));
}
