/**
 * A configuration file problem, refused at startup. The message names the file and line so an
 * operator can go straight to it: `/etc/warren/rabbitmq.conf:12: unknown key 'foo.bar'`.
 */
export class ConfigError extends Error {
  readonly file: string;
  /** 1-based; 0 when the problem is the file as a whole (missing, unreadable) */
  readonly line: number;
  readonly detail: string;

  constructor(file: string, line: number, detail: string) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** A value that does not convert; the caller adds file, line and key. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}
