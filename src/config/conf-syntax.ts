/**
 * The syntax of RabbitMQ's new-style config file (`rabbitmq.conf`, parsed by cuttlefish), without any
 * meaning attached: `key = value` lines. No npm package parses this format, and it is small:
 *
 * - a key is dot-separated words of letters, digits, `_` and `-` (`\.` puts a dot inside a word);
 * - a value runs to the end of the line, trailing blanks and any `#` comment cut off; `'...'` keeps
 *   everything between the quotes (a `#`, leading blanks), `'''...'''` may span lines;
 * - `#` starts a comment line; blank lines are ignored;
 * - `include <path>` reads another file (relative to this one; `*` matches in the last segment).
 *
 * As in cuttlefish, a key given twice keeps its last value.
 */
import { ConfigError } from './error.js';

export interface ConfSetting {
  /** the key with escaped dots resolved, words joined by '.' */
  key: string;
  /** the words of the key (a word may itself contain a dot, written `\.`) */
  words: string[];
  value: string;
  file: string;
  /** 1-based line of the key */
  line: number;
}

export interface ConfInclude {
  include: string;
  file: string;
  line: number;
}

const WORD_CHAR = /[A-Za-z0-9_-]/;
const BLANK = /[ \t]/;

/** Parses one file's text into settings and include directives, in file order. */
export function parseConfText(text: string, file: string): (ConfSetting | ConfInclude)[] {
  const out: (ConfSetting | ConfInclude)[] = [];
  let pos = 0;
  let line = 1;
  const fail = (detail: string, at = line): never => {
    throw new ConfigError(file, at, detail);
  };
  const skipBlanks = (): void => {
    while (pos < text.length && BLANK.test(text[pos] as string)) pos++;
  };
  const atEol = (): boolean => pos >= text.length || text[pos] === '\n' || text.startsWith('\r\n', pos);
  const skipComment = (): void => {
    if (text[pos] === '#') while (!atEol()) pos++;
  };
  const endLine = (what: string): void => {
    skipBlanks();
    skipComment();
    if (!atEol()) fail(`unexpected '${text.slice(pos, lineEnd(text, pos)).trim()}' after ${what}`);
    if (text[pos] === '\r') pos++;
    if (pos < text.length) {
      pos++;
      line++;
    }
  };

  if (text.charCodeAt(0) === 0xfeff) pos = 1; // a byte-order mark written by some editors
  while (pos < text.length) {
    skipBlanks();
    if (atEol() || text[pos] === '#') {
      endLine('a comment');
      continue;
    }
    const start = line;
    const words = readKey();
    skipBlanks();
    if (words.length === 1 && words[0] === 'include' && text[pos] !== '=') {
      const path = text
        .slice(pos, lineEnd(text, pos))
        .replace(/\s*#.*$/, '')
        .trim();
      if (!/^[A-Za-z0-9_.*/-]+$/.test(path)) fail(`include needs a path of letters, digits, '_-./*'`);
      pos += text.slice(pos, lineEnd(text, pos)).length;
      out.push({ include: path, file, line: start });
      endLine('include');
      continue;
    }
    if (text[pos] !== '=') {
      fail(
        atEol()
          ? `'${words.join('.')}' needs '= value'`
          : `expected '=' after '${words.join('.')}', found '${text[pos] ?? ''}'`,
      );
    }
    pos++;
    skipBlanks();
    const value = readValue(words.join('.'));
    out.push({ key: words.join('.'), words, value, file, line: start });
    endLine(`the value of '${words.join('.')}'`);
  }
  return out;

  function readKey(): string[] {
    const words: string[] = [];
    for (;;) {
      let word = '';
      while (pos < text.length) {
        const c = text[pos] as string;
        if (c === '\\' && text[pos + 1] === '.') {
          word += '.';
          pos += 2;
        } else if (WORD_CHAR.test(c)) {
          word += c;
          pos++;
        } else break;
      }
      if (word === '') {
        const found = text.slice(pos, lineEnd(text, pos)).trim();
        fail(found === '' ? 'a key ends with a dot' : `not a key: '${found}' (expected 'key = value')`);
      }
      words.push(word);
      if (text[pos] !== '.') return words;
      pos++;
    }
  }

  function readValue(key: string): string {
    if (text.startsWith("'''", pos)) {
      const end = text.indexOf("'''", pos + 3);
      if (end < 0) fail(`the value of '${key}' opens ''' but never closes it`);
      const raw = text.slice(pos + 3, end);
      line += raw.split('\n').length - 1;
      pos = end + 3;
      return raw.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
    }
    if (text[pos] === "'") {
      const end = text.indexOf("'", pos + 1);
      if (end < 0) fail(`the value of '${key}' opens a quote (') but never closes it`);
      const raw = text.slice(pos + 1, end);
      line += raw.split('\n').length - 1;
      pos = end + 1;
      return raw;
    }
    const end = lineEnd(text, pos);
    const hash = text.indexOf('#', pos);
    const stop = hash >= 0 && hash < end ? hash : end;
    const value = text.slice(pos, stop).replace(/[ \t\r]+$/, '');
    if (value === '') fail(`'${key}' has no value`);
    pos = stop;
    return value;
  }
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}
