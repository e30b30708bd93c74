/** Digits written as words, in the languages marketplace users disguise phone numbers in most. */
const DIGIT_WORDS: Record<string, string> = {
  zero: '0', oh: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
  // French, Spanish, German, Italian, Portuguese (accents as typed and without).
  zéro: '0', un: '1', deux: '2', trois: '3', quatre: '4', cinq: '5', sept: '7', huit: '8', neuf: '9',
  cero: '0', uno: '1', dos: '2', tres: '3', cuatro: '4', cinco: '5', seis: '6', siete: '7', ocho: '8', nueve: '9',
  null: '0', eins: '1', zwei: '2', drei: '3', vier: '4', fünf: '5', fuenf: '5', sechs: '6', sieben: '7', acht: '8', neun: '9',
  due: '2', tre: '3', quattro: '4', sei: '6', sette: '7', otto: '8', nove: '9',
  um: '1', dois: '2', três: '3', quatro: '4', oito: '8',
};
/** "double five" = 55, "triple 7" = 777. */
const REPEATS: Record<string, number> = { double: 2, triple: 3, doppel: 2 };

const MAX_WORD = 7;
/** A word made only of digit words (or "o"s): tested before any copy or segmentation. */
const ONLY_DIGIT_WORDS = new RegExp(
  `^(?:o+|(?:${Object.keys(DIGIT_WORDS).sort((a, b) => b.length - a.length).join('|')})+)$`,
  'iu',
);
/** Two-letter starts of every digit word, as char codes: most words of a text are ruled out without a copy. */
const startKey = (a: number, b: number) => a * 65536 + b;
const STARTS = new Set(
  [...Object.keys(DIGIT_WORDS), ...Object.keys(REPEATS)].map((w) => startKey(w.charCodeAt(0), w.charCodeAt(1))),
);
const lower = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);

/** Whether text[start, end) may be a digit word (or "o"s): a cheap test before `spelledDigits`. */
export function maySpellDigits(text: string, start: number, end: number): boolean {
  const first = lower(text.charCodeAt(start));
  if (first === 111 && end - start <= 3) return true; // "o", "oo", "oh"
  if (end - start < 2 || end - start > 40) return false;
  const second = text.charCodeAt(start + 1);
  if (STARTS.has(startKey(first, lower(second)))) return true;
  return second > 127 && STARTS.has(startKey(first, String.fromCharCode(second).toLowerCase().charCodeAt(0)));
}

/**
 * The digits a run of letters spells when it is made only of digit words ("five", "fivefive", "Oh"), else
 * undefined. Single-letter "o"/"O" counts as 0 only next to digits (checked by the caller).
 */
export function spelledDigits(letters: string): string | undefined {
  if (!ONLY_DIGIT_WORDS.test(letters)) return undefined;
  const word = letters.toLowerCase();
  if (/^o+$/.test(word)) return '0'.repeat(word.length);
  if (DIGIT_WORDS[word] !== undefined) return DIGIT_WORDS[word];
  // Glued words ("fivefivefive"): a left-to-right segmentation, longest word first.
  let digits = '';
  let at = 0;
  outer: while (at < word.length) {
    for (let len = Math.min(MAX_WORD, word.length - at); len >= 2; len -= 1) {
      const hit = DIGIT_WORDS[word.slice(at, at + len)];
      if (hit !== undefined) {
        digits += hit;
        at += len;
        continue outer;
      }
    }
    return undefined;
  }
  return digits;
}

export function repeatCount(letters: string): number | undefined {
  return letters.length >= 6 && letters.length <= 6 ? REPEATS[letters.toLowerCase()] : undefined;
}
