/**
 * A command refused before anything was queued. `statusCode` is the HTTP status the REST API
 * answers with (its error handler maps any 4xx error to Ironic's error body); other callers (the
 * Kubernetes adapter) read `message`, which says what to change.
 */
export class NodeCommandError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'NodeCommandError';
  }
}

/** The request cannot work as given (a missing field, a verb the state does not allow). */
export const invalid = (message: string) => new NodeCommandError(400, message);
/** The node is busy or changed meanwhile; the same request may work later. */
export const conflict = (message: string) => new NodeCommandError(409, message);

/** PostgreSQL's unique_violation, directly or wrapped by drizzle. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === '23505' || e.cause?.code === '23505';
}

/** PostgreSQL's foreign_key_violation, directly or wrapped by drizzle. */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.code === '23503' || e.cause?.code === '23503';
}

/** Ironic's ChassisNotFound, answered 400 where a node names the chassis. */
export const unknownChassis = (chassis: string) =>
  invalid(`Chassis ${chassis} could not be found.`);
