import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { ParleyError, errorRegistry, toParleyError } from '../../protocol/index.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { HistoryService } from '../../services/history-service.js';
import { registerDemoAssets } from './demo-assets.js';
import { registerHistoryRoute } from './history-route.js';
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
  /** Attachments (POST/GET /v1/uploads). */
  uploads?: UploadRouteDeps;
}

/** Fastify: history, health, metrics, OpenAPI and the demo page; Socket.IO shares its server. */
export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    forceCloseConnections: true,
  });

  app.setErrorHandler((err: FastifyError | ParleyError, _req, reply) => {
    const error =
      err instanceof ParleyError
        ? err
        : err.statusCode === 429
          ? new ParleyError('rate_limited')
          : err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
            ? new ParleyError('invalid_payload', err.message)
            : toParleyError(err);
    if (error.code === 'internal') deps.log.error({ err }, 'request failed');
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
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      Object.assign(new ParleyError('rate_limited', `Too many requests; retry in ${context.after}.`), { statusCode: 429 }),
  });

  registerHistoryRoute(app, deps);
  if (deps.uploads) await registerUploadRoutes(app, deps.uploads);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ success: true, status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = await probe(deps.readiness, deps.log);
    const down = Object.keys(checks).filter((name) => checks[name] === 'down');
    if (down.length === 0) return { success: true, status: 'ready', checks };
    const error = { code: 'internal', message: `Unreachable: ${down.join(', ')}.` };
    return reply.status(503).send({ success: false, error, checks });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.text()),
  );
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.demoDir && existsSync(deps.demoDir)) {
    await app.register(fastifyStatic, { root: deps.demoDir, prefix: '/', index: ['index.html'] });
    await registerDemoAssets(app, deps.log);
  }
  return app;
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
