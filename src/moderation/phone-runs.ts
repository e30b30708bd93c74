import { isValidPhoneNumber } from 'libphonenumber-js';
import { maySpellDigits, repeatCount, spelledDigits } from './number-words.js';

/** A span of the text to replace. */
export interface Span {
  start: number;
  end: number;
}

interface Group {
  start: number;
  end: number;
  digits: string;
  /** Written with digit characters (not words). */
  numeric: boolean;
  /** The separator text before this group ('' for the first one or when glued). */
  gap: string;
}

/** Phone numbers have at least this many digits (§13); fewer is ordinary text. */
const MIN_DIGITS = 7;
const DATE = String.raw`(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2}))`;
const TIME = String.raw`(?:[01]?\d|2[0-4])[:.h][0-5]\d`;
const DATES_AND_TIMES = new RegExp(String.raw`^(?:${DATE}|${TIME})(?:\s*[-–/ ]\s*(?:${DATE}|${TIME}))*$`);
const CURRENCY_BEFORE = /(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|rs|inr|kr|sek|nok|dkk|pln|zł|aud|cad|price|cost|costs|total|pay|paid|budget|offer)\s*:?)\s*$/iu;
const CURRENCY_AFTER = /^\s*(?:[$€£¥₹]|(?:usd|eur|euros?|dollars?|gbp|pounds?|chf|kr|sek|nok|dkk|pln|zł|rs|inr|rupees?|aud|cad|k)\b)/iu;
const THOUSANDS = /^\d{1,3}(?:[., ]\d{3})+(?:[.,]\d{1,2})?$/;
/** "1,999.00", "2 500 000", "1200000": amounts, not numbers anyone dials. */
const AMOUNT = /^(?:\d{1,3}(?:[., ]\d{3})+[.,]\d{2}|\d{1,3}(?:[., ]\d{3})*[., ]000|\d+00000)$/;
const REFERENCE_BEFORE =
  /(?:#|\b(?:order|orders|invoice|tracking|track|ref|reference|sku|item|parcel|shipment|package|iban|article|art|serial|model|lot|no\.|nr\.?|n°|transaction|batch)\s*(?:no\.?|nr\.?|number|id|code|#)?\s*[:#]?)\s*$/iu;

const enum Kind {
  Digit,
  Letter,
  Separator,
  Comma,
  Other,
}

/** Kinds of the ASCII characters, looked up (the scan reads every character of the message). */
const ASCII_KINDS = (() => {
  const kinds = new Uint8Array(128).fill(Kind.Other);
  for (let c = 48; c <= 57; c += 1) kinds[c] = Kind.Digit;
  for (let c = 65; c <= 90; c += 1) kinds[c] = Kind.Letter;
  for (let c = 97; c <= 122; c += 1) kinds[c] = Kind.Letter;
  for (const c of ' .-()/_+*\t\n\r') kinds[c.charCodeAt(0)] = Kind.Separator;
  kinds[44] = Kind.Comma;
  return kinds;
})();

function kindOf(code: number): Kind {
  if (code < 128) return ASCII_KINDS[code] as Kind;
  if (code === 0xa0 || code === 0x2013 || code === 0x2014) return Kind.Separator;
  // Latin-1 letters and everything past them (accents, other scripts) except × and ÷ and general punctuation.
  if (code >= 0xc0 && code !== 0xd7 && code !== 0xf7 && (code < 0x2000 || code > 0x206f)) return Kind.Letter;
  return Kind.Other;
}

const MAX_GAP = 4;

/**
 * Phone numbers, plain or disguised (separators, digits as words, glued, "double five"). One pass over the
 * characters (no regular expression per word: a 4,000-character message must cost well under 0.2 ms).
 */
export function findPhoneRuns(text: string): Span[] {
  const spans: Span[] = [];
  let run: Group[] = [];
  let repeat = 1;
  /** End of the last token that belongs to the run (a digit group or a "double"). */
  let lastEnd = -1;
  let gapComma = false;
  const close = () => {
    if (run.length > 0) evaluate(text, run, spans);
    run = [];
    repeat = 1;
    lastEnd = -1;
  };
  let i = 0;
  const length = text.length;
  while (i < length) {
    const kind = kindOf(text.charCodeAt(i));
    if (kind === Kind.Separator || kind === Kind.Comma) {
      if (kind === Kind.Comma) gapComma = true;
      i += 1;
      continue;
    }
    if (kind === Kind.Other) {
      close();
      i += 1;
      continue;
    }
    const start = i;
    while (i < length && kindOf(text.charCodeAt(i)) === kind) i += 1;
    const numeric = kind === Kind.Digit;
    const gapLength = lastEnd >= 0 ? start - lastEnd : 0;
    const comma = gapComma;
    gapComma = false;
    // Commas join digits only when they are spelled out ("five five five, one two three").
    if (lastEnd >= 0 && (gapLength > MAX_GAP || (comma && numeric && run.at(-1)?.numeric !== false))) close();
    let digits: string | undefined = numeric ? text.slice(start, i) : undefined;
    if (!numeric && !maySpellDigits(text, start, i)) {
      close();
      continue;
    }
    if (!numeric) {
      const token = text.slice(start, i);
      const times = repeatCount(token);
      if (times !== undefined) {
        repeat = times;
        lastEnd = i;
        continue;
      }
      digits = token.length <= 40 ? spelledDigits(token) : undefined;
      // A lone "o" is a zero only when glued to digits ("9oo123"), never a word of its own.
      if (digits !== undefined && (token[0] === 'o' || token[0] === 'O') && /^[oO]+$/.test(token) && !gluedToDigit(text, start, i)) {
        digits = undefined;
      }
    }
    if (digits === undefined) {
      close();
      continue;
    }
    const gap = run.length > 0 ? text.slice(lastEnd, start) : '';
    run.push({ start, end: i, digits: digits.length === 1 ? digits.repeat(repeat) : digits, numeric, gap });
    repeat = 1;
    lastEnd = i;
  }
  close();
  return spans;
}

function gluedToDigit(text: string, start: number, end: number): boolean {
  const isDigit = (i: number) => i >= 0 && i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57;
  return isDigit(start - 1) || isDigit(end);
}

function evaluate(text: string, groups: Group[], spans: Span[]): void {
  if (groups.length === 1 && groups[0]!.digits.length < MIN_DIGITS) return;
  // "order 123456 7 items": a lone digit after a longer number and a space is a count, not part of it.
  const last = groups.at(-1)!;
  const previous = groups.at(-2);
  if (previous && previous.digits.length > 1 && last.numeric && last.digits.length === 1 && /^\s+$/.test(last.gap)) {
    groups = groups.slice(0, -1);
  }
  const digits = groups.reduce((n, g) => n + g.digits.length, 0);
  if (digits < MIN_DIGITS) return;
  let start = groups[0]!.start;
  let end = groups.at(-1)!.end;
  const plus = /\+\s*\(?\s*$|\(\s*$/.exec(text.slice(Math.max(0, start - 3), start));
  if (plus) start -= plus[0].length;
  if (text[end] === ')') end += 1;
  const raw = text.slice(start, end);
  if (isBenign(text, groups, raw, start, end) && !isInternational(raw)) return;
  spans.push({ start, end });
}

function isBenign(text: string, groups: Group[], raw: string, start: number, end: number): boolean {
  const allNumeric = groups.every((g) => g.numeric);
  if (!allNumeric) return false;
  const body = text.slice(groups[0]!.start, groups.at(-1)!.end);
  if (DATES_AND_TIMES.test(body)) return true;
  const before = text.slice(Math.max(0, start - 24), start);
  const after = text.slice(end, end + 12);
  if ((CURRENCY_BEFORE.test(before) || CURRENCY_AFTER.test(after)) && (THOUSANDS.test(body) || groups.length === 1)) return true;
  if (AMOUNT.test(body)) return true;
  // A long number with a trunk prefix ("0176/12345678") is dialled, whatever word comes before it.
  const trunk = digitsOf(groups) >= 10 && body.startsWith('0');
  if (!trunk && groups.every((g) => !/\s/.test(g.gap)) && REFERENCE_BEFORE.test(before)) return true;
  // A code such as "1Z999AA10123456784": digits glued to letters that spell no digit.
  if (groups.length === 1 && (/\p{L}/u.test(text[start - 1] ?? '') || /\p{L}/u.test(text[end] ?? ''))) return true;
  return isNumberList(groups) || raw.length === 0;
}

function digitsOf(groups: Group[]): number {
  return groups.reduce((n, g) => n + g.digits.length, 0);
}

/** "sizes 38 40 42 44", "98 104 110", "2019 2020 2021", "steps 1 2 3 4 5 6 7": rising numbers with spaces between. */
function isNumberList(groups: Group[]): boolean {
  if (groups.length < 3) return false;
  const values = groups.map((g) => Number(g.digits));
  const spaced = groups.every((g, i) => i === 0 || /^[\s,]+$/.test(g.gap));
  if (!spaced) return false;
  if (groups.every((g) => g.digits.length === 1)) return values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
  const short = groups.every((g) => g.digits.length >= 2 && g.digits.length <= 3 && g.digits[0] !== '0');
  const years = groups.every((g) => /^(?:19|20)\d\d$/.test(g.digits));
  return (short || years) && values.every((v, i) => i === 0 || v > values[i - 1]!);
}

/** A "+…" or "00…" number that libphonenumber finds valid is a phone number whatever else it looks like. */
function isInternational(raw: string): boolean {
  const compact = raw.replace(/[^\d+]/g, '');
  if (compact.startsWith('+')) return isValidPhoneNumber(compact);
  if (compact.startsWith('00')) return isValidPhoneNumber(`+${compact.slice(2)}`);
  return false;
}
