/**
 * AMQP reply codes (the spec's constants, with the class RabbitMQ gives them) and the error type every
 * layer throws to close a channel or a connection. Codes below 500 close the channel; 5xx close the
 * connection (320 and 402 are hard errors too, per the spec).
 */
export const ReplyCode = {
  Success: 200,
  ContentTooLarge: 311,
  NoRoute: 312,
  NoConsumers: 313,
  ConnectionForced: 320,
  InvalidPath: 402,
  AccessRefused: 403,
  NotFound: 404,
  ResourceLocked: 405,
  PreconditionFailed: 406,
  FrameError: 501,
  SyntaxError: 502,
  CommandInvalid: 503,
  ChannelError: 504,
  UnexpectedFrame: 505,
  ResourceError: 506,
  NotAllowed: 530,
  NotImplemented: 540,
  InternalError: 541,
} as const;
export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];

const NAMES: Record<number, string> = {
  200: 'OK',
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
};

/** The symbolic name RabbitMQ prefixes reply texts with, e.g. "NOT_FOUND". */
export function replyName(code: number): string {
  return NAMES[code] ?? 'INTERNAL_ERROR';
}

export function isHardError(code: number): boolean {
  return code >= 500 || code === ReplyCode.ConnectionForced || code === ReplyCode.InvalidPath;
}

/**
 * Thrown anywhere below the connection to close a channel (soft codes) or the connection (hard codes).
 * `text` is the human part; the wire reply text is "NAME - text" as RabbitMQ writes it.
 * classId/methodId name the method that failed (0 when none).
 */
export class AmqpError extends Error {
  readonly code: number;
  readonly text: string;
  classId: number;
  methodId: number;

  constructor(code: number, text: string, classId = 0, methodId = 0) {
    super(`${replyName(code)} - ${text}`);
    this.code = code;
    this.text = text;
    this.classId = classId;
    this.methodId = methodId;
  }

  /** The reply text as it fits a shortstr: at most 255 bytes, cut on a character boundary. */
  get replyText(): string {
    const b = Buffer.from(this.message);
    if (b.length <= 255) return this.message;
    let end = 252;
    while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--;
    return b.subarray(0, end).toString('utf8') + '...';
  }

  get hard(): boolean {
    return isHardError(this.code);
  }
}

export const notFound = (text: string): AmqpError => new AmqpError(ReplyCode.NotFound, text);
export const preconditionFailed = (text: string): AmqpError =>
  new AmqpError(ReplyCode.PreconditionFailed, text);
export const accessRefused = (text: string): AmqpError => new AmqpError(ReplyCode.AccessRefused, text);
export const resourceLocked = (text: string): AmqpError => new AmqpError(ReplyCode.ResourceLocked, text);
export const commandInvalid = (text: string): AmqpError => new AmqpError(ReplyCode.CommandInvalid, text);
export const frameError = (text: string): AmqpError => new AmqpError(ReplyCode.FrameError, text);
export const syntaxError = (text: string): AmqpError => new AmqpError(ReplyCode.SyntaxError, text);
export const unexpectedFrame = (text: string): AmqpError => new AmqpError(ReplyCode.UnexpectedFrame, text);
export const channelError = (text: string): AmqpError => new AmqpError(ReplyCode.ChannelError, text);
export const notImplemented = (text: string): AmqpError => new AmqpError(ReplyCode.NotImplemented, text);
export const notAllowed = (text: string): AmqpError => new AmqpError(ReplyCode.NotAllowed, text);
