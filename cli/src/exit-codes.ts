/** What `ingot` exits with; `ingot --help` and the README list them. */
export const EXIT = {
  /** Done: every node arrived, every host enrolled, the doctor found nothing wrong. */
  ok: 0,
  /** A node failed (wait, deploy), a host could not be enrolled, or the doctor found an error. */
  failed: 1,
  /** Wrong arguments or an invalid hosts file; nothing was done. */
  usage: 2,
  /** --timeout passed before every node arrived. */
  timeout: 3,
  /** The API could not be reached, refused the credentials, or answered unexpectedly. */
  api: 4,
  /** The doctor found warnings only. */
  warnings: 5,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done: all nodes arrived / all hosts enrolled / doctor all ok
  1  a node failed, a host was not enrolled, or the doctor found an error
  2  wrong arguments or invalid hosts file (nothing was done)
  3  --timeout passed before all nodes arrived
  4  the API could not be reached, refused the credentials, or answered unexpectedly
  5  the doctor found warnings only`;

/** An error that ends the command with its exit code and a message for people. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
