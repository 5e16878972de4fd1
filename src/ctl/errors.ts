/**
 * Exit codes and the one error type warrenctl verbs throw. The codes are rabbitmqctl's (BSD sysexits), so
 * scripts written against rabbitmqctl keep working: 64 bad command line, 65 bad input data, 67 no such user,
 * 69 broker or resource unavailable, 70 internal error, 75 timed out, 77 permission denied.
 */
export const EXIT = {
  OK: 0,
  USAGE: 64,
  DATA_ERROR: 65,
  NO_USER: 67,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMP_FAIL: 75,
  NO_PERM: 77,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with the text the operator sees (after "Error:") and the process exit code. */
export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CtlError';
  }
}

/** What the management API answered with a 4xx/5xx status; verbs turn the ones they expect into CtlErrors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** the API's `reason` (or `error`) text, HTML entities decoded */
    readonly reason: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: HTTP ${status}${reason ? `: ${reason}` : ''}`);
    this.name = 'ApiError';
  }
}
