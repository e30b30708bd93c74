import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Clock } from '../services/clock.js';
import type { AttachmentRepository } from '../store/chat-store.js';
import { AttachmentService } from './attachment-service.js';
import { LocalStorage } from './local-storage.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { S3Storage } from './s3-storage.js';
import type { BlobStorage } from './storage.js';
import { UploadMetrics } from './upload-metrics.js';
import type { SharedBudgets } from '../limits/token-bucket-gate.js';

export interface Uploads {
  readonly service: AttachmentService;
  readonly storage: BlobStorage;
  readonly sweeper: OrphanSweeper;
  /** Readiness probe of the bucket (S3 only). */
  readonly probe: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

/** The upload pipeline over the configured storage: a local folder, or an S3 bucket when s3Bucket is set. */
export async function createUploads(
  config: Config,
  repo: AttachmentRepository,
  clock: Clock,
  log: Logger,
  registry?: Registry,
  budgets?: SharedBudgets,
): Promise<Uploads> {
  // Images are cleaned from a staged file; with local storage that folder also stages every upload.
  const staging = new LocalStorage(config.uploadDir);
  await staging.init(clock.now());
  const s3 = config.s3Bucket
    ? new S3Storage({
        bucket: config.s3Bucket,
        region: config.s3Region,
        endpoint: config.s3Endpoint,
        accessKeyId: config.s3AccessKeyId,
        secretAccessKey: config.s3SecretAccessKey,
      })
    : undefined;
  const storage: BlobStorage = s3 ?? staging;
  const service = new AttachmentService(
    repo,
    storage,
    clock,
    { limits: config.uploadLimits, rate: config.uploadRateLimit, budgets, stagingPath: (suffix) => staging.stagingPath(suffix), metrics: registry && new UploadMetrics(registry) },
    log,
  );
  const sweeper = new OrphanSweeper(service, { intervalMs: config.uploadSweepIntervalMs, ttlMs: config.uploadOrphanTtlMs }, log);
  sweeper.start();
  return {
    service,
    storage,
    sweeper,
    probe: s3 ? () => s3.ping() : undefined,
    async close() {
      await sweeper.close();
      await storage.close();
    },
  };
}
