/**
 * The CLI's contact with the world, injectable so that tests and the many-configs mode run
 * commands in process. Exit codes: 0 no errors, 1 the input has errors, 2 usage or I/O problem.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour only for a TTY that did not ask for NO_COLOR. */
  color: boolean;
}

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;

export type Format = 'text' | 'json';

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

export function bufferIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    color: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

/** Thrown by command code for usage / I/O problems that must end the run with exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 'IOT7001',
  ) {
    super(message);
  }
}
