import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ATTACHMENT_ID_PATTERN, ParleyError, USER_ID_PATTERN } from '../../protocol/index.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { AttachmentService, Uploader, Variant } from '../../uploads/attachment-service.js';
import { parseRange } from './byte-range.js';

export interface UploadRouteDeps {
  uploads: AttachmentService;
  authenticator: Authenticator;
  namespaces: readonly string[];
  publicUrl: string | undefined;
  /** The largest per-kind limit: multipart's own cut-off, past which no file can be accepted anyway. */
  maxFileBytes: number;
}

const errorBody = {
  type: 'object',
  properties: {
    success: { type: 'boolean', const: false },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};
const attachmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['image', 'vdo', 'audio'] },
    mime: { type: 'string' },
    size: { type: 'integer' },
    url: { type: 'string' },
    thumbnailUrl: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
  },
  required: ['id', 'kind', 'mime', 'size', 'url'],
};
/** The files are immutable, and the id is their only name: browsers may keep them a year. Not `public`, so
 *  shared caches hold no copy that would outlive an erasure. */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';

/** POST /v1/uploads and GET /v1/uploads/{id}[/thumbnail] (SPEC §12), in a scope of their own. */
export async function registerUploadRoutes(app: FastifyInstance, deps: UploadRouteDeps): Promise<void> {
  await app.register(async (scope) => {
    // The body is the file: no parser reads it here (JSON and text included); the handler streams it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    await scope.register(multipart, {
      limits: { fileSize: deps.maxFileBytes + 1, files: 1, fields: 20, parts: 21, headerPairs: 100 },
    });
    // A refused upload is not read to its end: the connection closes once the answer is out.
    scope.addHook('onSend', async (req, reply) => {
      if (!req.raw.complete) reply.header('connection', 'close');
    });
    scope.addHook('onResponse', async (req) => {
      if (!req.raw.complete) req.raw.destroy();
    });
    registerPost(scope, deps);
    for (const variant of ['file', 'thumbnail'] as const) registerGet(scope, deps, variant);
  });
}

function registerPost(scope: FastifyInstance, deps: UploadRouteDeps): void {
  scope.post(
    '/v1/uploads',
    {
      schema: {
        summary: 'Upload a file (image, video or audio) for a media message',
        description:
          'The file is the raw request body, or field `file` of multipart/form-data. Its kind comes from its bytes: image (JPEG, PNG, WebP, GIF), vdo (MP4, WebM, QuickTime), audio (MP3, Ogg, WAV, M4A/AAC, WebM audio). ' +
          'jwt mode: Authorization: Bearer <jwt>; trusted mode: ?userId=. Answers 201 with the attachment; 413 too_large, 415 unsupported_type, 429 rate_limited.',
        querystring: {
          type: 'object',
          properties: { namespace: { type: 'string' }, userId: { type: 'string', description: 'trusted mode only' } },
          required: ['namespace'],
        },
        consumes: ['application/octet-stream', 'multipart/form-data'],
        body: { type: 'string', format: 'binary', description: 'The file; or multipart/form-data with the file as field "file".' },
        security: deps.authenticator.mode === 'jwt' ? [{ bearer: [] }] : [],
        response: {
          201: {
            type: 'object',
            properties: {
              success: { type: 'boolean', const: true },
              attachment: attachmentSchema,
              data: { type: 'object', properties: { attachment: attachmentSchema } },
            },
          },
          400: errorBody, 401: errorBody, 404: errorBody, 413: errorBody, 415: errorBody, 429: errorBody,
        },
      },
      // The handler checks the query itself, in the protocol's order (auth before anything else).
      validatorCompiler: () => (data) => ({ value: data }),
      onRequest: async (req) => {
        req.uploader = await identify(req, deps);
      },
    },
    async (req, reply) => {
      const source = await fileStream(req);
      const baseUrl = deps.publicUrl ?? `${req.protocol}://${req.host}`;
      const attachment = await deps.uploads.ingest(source, req.uploader!, baseUrl);
      return reply.status(201).send({ success: true, attachment, data: { attachment } });
    },
  );
}

/** Who uploads, into which namespace; spends one of the user's uploads. Runs before the body is read. */
async function identify(req: FastifyRequest, deps: UploadRouteDeps): Promise<Uploader> {
  const query = req.query as Record<string, unknown>;
  let userId: string;
  if (deps.authenticator.mode === 'jwt') {
    userId = await deps.authenticator.fromAuthorizationHeader(req.headers.authorization) as string;
  } else {
    const claimed = query.userId;
    if (typeof claimed !== 'string' || !USER_ID_PATTERN.test(claimed)) {
      throw new ParleyError('invalid_payload', 'Name the uploader with query userId: 1–128 characters from [A-Za-z0-9_.:@-].');
    }
    userId = claimed;
  }
  const { namespace } = query;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new ParleyError('invalid_payload', 'namespace: give the namespace once in the query.');
  }
  if (!deps.namespaces.includes(namespace)) throw new ParleyError('not_found', `No namespace "${namespace}".`);
  const uploader = { namespace, userId };
  await deps.uploads.consumeRate(uploader);
  return uploader;
}

/** The raw body, or the `file` part of a multipart form. */
async function fileStream(req: FastifyRequest): Promise<Readable> {
  if (!req.isMultipart()) return req.raw;
  const part = await req.file();
  if (!part) throw new ParleyError('unsupported_type', 'The form has no file: send it as field "file".');
  if (part.fieldname !== 'file') throw new ParleyError('invalid_payload', `Send the file as field "file", not "${part.fieldname}".`);
  return part.file;
}

function registerGet(scope: FastifyInstance, deps: UploadRouteDeps, variant: Variant): void {
  // HEAD is handled here: fastify's own HEAD route would read the whole file and discard it.
  scope.route<{ Params: { id: string } }>({
    method: ['GET', 'HEAD'],
    url: variant === 'file' ? '/v1/uploads/:id' : '/v1/uploads/:id/thumbnail',
    schema: {
      summary: variant === 'file' ? 'An uploaded file (byte ranges supported)' : "An image upload's WebP thumbnail (≤ 320 px)",
      description: 'Knowing the URL is the permission. Range: bytes=… ⇒ 206 with Content-Range. Unknown id ⇒ 404.',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      response: { 404: errorBody },
    },
    handler: async (req, reply) => serve(req, reply, deps, variant),
  });
}

async function serve(req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, deps: UploadRouteDeps, variant: Variant) {
  const { id } = req.params;
  if (!ATTACHMENT_ID_PATTERN.test(id)) throw new ParleyError('not_found', 'No such upload.');
  const served = await deps.uploads.describe(id, variant);
  const common = {
    etag: served.etag,
    'cache-control': CACHE_CONTROL,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (ifNoneMatch(req.headers['if-none-match'], served.etag)) return reply.status(304).headers(common).send();
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === served.etag ? parseRange(req.headers.range, served.size) : undefined;
  if (range === 'unsatisfiable') {
    return reply.status(416).headers({ ...common, 'content-range': `bytes */${served.size}` }).send();
  }
  // Opened before any header is set: a file gone from storage is a plain JSON 404.
  const stream = req.method === 'HEAD' ? undefined : await deps.uploads.read(served, variant, range);
  if (req.method !== 'HEAD' && !stream) throw new ParleyError('not_found', 'No such upload.');
  reply.headers({ ...common, 'content-type': served.mime });
  if (range) {
    reply.status(206).headers({ 'content-range': `bytes ${range.start}-${range.end}/${served.size}`, 'content-length': range.end - range.start + 1 });
  } else {
    reply.header('content-length', served.size);
  }
  return reply.send(stream);
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

declare module 'fastify' {
  interface FastifyRequest {
    uploader?: Uploader;
  }
}
