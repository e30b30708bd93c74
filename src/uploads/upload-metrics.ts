import { Counter, Gauge, type Registry } from 'prom-client';

/** Upload metrics, on the app's registry. */
export class UploadMetrics {
  readonly inProgress: Gauge;
  readonly uploads: Counter;
  readonly bytes: Counter;
  readonly removed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.inProgress = new Gauge({ name: 'parley_uploads_in_progress', help: 'Uploads being received or processed', registers });
    this.uploads = new Counter({ name: 'parley_uploads_total', help: 'Finished uploads per result (created or an error code)', labelNames: ['result'], registers });
    this.bytes = new Counter({ name: 'parley_upload_bytes_total', help: 'Bytes of attachments stored', labelNames: ['kind'], registers });
    this.removed = new Counter({ name: 'parley_attachments_removed_total', help: 'Attachments removed (deletion, erasure, orphan sweep)', registers });
  }
}
