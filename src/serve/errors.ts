import { TensorScriptError } from '../core/errors.ts';

/**
 * An error that knows its HTTP status. Everything a client did wrong is a ServeError with a 4xx status;
 * the server turns it into `{ "error": message }`. Any other thrown value is a server fault (500).
 */
export class ServeError extends TensorScriptError {
  readonly status: number;
  /** Seconds for the Retry-After header (503 answers). */
  readonly retryAfter: number | undefined;
  constructor(op: string, status: number, message: string, retryAfter?: number) {
    // A message that already carries this op's prefix (an engine error re-thrown with a status) keeps one.
    super(op, message.startsWith(`[${op}] `) ? message.slice(op.length + 3) : message);
    this.name = 'ServeError';
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export function badRequest(op: string, message: string): never {
  throw new ServeError(op, 400, message);
}

export function notFound(op: string, message: string): never {
  throw new ServeError(op, 404, message);
}

/** 415: a body the server cannot read (compressed, or in a charset other than UTF-8). */
export function unsupportedMedia(op: string, message: string): never {
  throw new ServeError(op, 415, message);
}

/** 422: a well-formed request whose answer would not be a number (NaN or infinite output). */
export function unprocessable(op: string, message: string): never {
  throw new ServeError(op, 422, message);
}
