import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  logger: Logger;
  lines: LogLine[];
  /** Resolves with the first line matching, waiting for it to be written (rejects after timeoutMs). */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Everything written so far, as one string (to check that a secret never appears). */
  text(): string;
}

/** A real pino logger writing JSON lines into memory. */
export function captureLogs(level: pino.LevelWithSilent = 'info'): CapturedLogs {
  const lines: LogLine[] = [];
  let raw = '';
  let waiters: Array<() => void> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      raw += String(chunk);
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      for (const wake of waiters.splice(0)) wake();
      done();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines,
    text: () => raw,
    waitFor(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`no log line matched within ${timeoutMs} ms; got:\n${raw}`));
        }, timeoutMs);
        const check = () => {
          const hit = lines.find(match);
          if (!hit) return void waiters.push(check);
          clearTimeout(timer);
          resolve(hit);
        };
        check();
      });
    },
  };
}
