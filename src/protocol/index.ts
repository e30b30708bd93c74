export * from './events.js';
export * from './errors.js';
export * from './schemas.js';
export * from './types.js';
export * from './webhooks.js';
export * from './platform-schemas.js';
