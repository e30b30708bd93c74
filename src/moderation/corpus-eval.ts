import { readFileSync } from 'node:fs';
import { ContactMasker } from './contact-masker.js';

export interface CorpusLine {
  contact: boolean;
  text: string;
}

export interface CorpusScore {
  lines: number;
  truePositives: number;
  falsePositives: CorpusLine[];
  falseNegatives: CorpusLine[];
  precision: number;
  recall: number;
}

/** `label<TAB>text` lines; `#` starts a comment. */
export function readCorpus(path: string): CorpusLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const tab = line.indexOf('\t');
      return { contact: line.slice(0, tab) === '1', text: line.slice(tab + 1) };
    });
}

/** Line-level precision and recall of the masker: a line counts as flagged when anything in it was masked. */
export function scoreCorpus(lines: readonly CorpusLine[], masker: ContactMasker): CorpusScore {
  let truePositives = 0;
  const falsePositives: CorpusLine[] = [];
  const falseNegatives: CorpusLine[] = [];
  for (const line of lines) {
    const flagged = masker.mask(line.text).masked;
    if (flagged && line.contact) truePositives += 1;
    else if (flagged) falsePositives.push(line);
    else if (line.contact) falseNegatives.push(line);
  }
  const flagged = truePositives + falsePositives.length;
  const contacts = truePositives + falseNegatives.length;
  return {
    lines: lines.length,
    truePositives,
    falsePositives,
    falseNegatives,
    precision: flagged === 0 ? 1 : truePositives / flagged,
    recall: contacts === 0 ? 1 : truePositives / contacts,
  };
}
