import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/** Content types some agents put on a JSON body; parsed as JSON where this is registered. */
const LENIENT_TYPES = ['application/octet-stream', 'text/plain'];

/**
 * Reads a body sent without a Content-Type, or as application/octet-stream or text/plain, as
 * JSON. ironic-python-agent before 9.9 posts its inspection data with no Content-Type
 * (python-requests with a string body), and ironic-inspector parsed it as JSON whatever the
 * header said. Register it only in the plugin of the routes that need it: Fastify scopes
 * content-type parsers to their plugin, so every other route keeps answering 415.
 */
export function parseUntypedBodiesAsJson(app: FastifyInstance): void {
  // Prototype-poisoning-safe, like the application/json parser of the whole app.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const parse = (contentType: string, text: string, done: (e: Error | null, b?: unknown) => void) =>
    parseJson(undefined as never, text, (error, body) => {
      if (!error) return done(null, body);
      done(
        new ApiError(400, `Request body ${contentType} is not valid JSON: ${syntaxError(text)}`),
      );
    });
  app.removeContentTypeParser(LENIENT_TYPES);
  app.addContentTypeParser(LENIENT_TYPES, { parseAs: 'string' }, (request, body, done) =>
    parse(`sent as ${request.headers['content-type']}`, body as string, done),
  );
  // '*' is Fastify's catch-all, also used for a body without Content-Type: take only that case.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) =>
    request.headers['content-type'] === undefined
      ? parse('sent without a Content-Type', body as string, done)
      : done(
          new ApiError(
            415,
            `Unsupported Content-Type '${request.headers['content-type']}': send application/json`,
          ),
        ),
  );
}

/** What JSON.parse says is wrong (position included), for the 400 the agent logs. */
function syntaxError(text: string): string {
  if (text.trim() === '') return 'the body is empty';
  try {
    JSON.parse(text);
    return 'it holds a forbidden __proto__ or constructor.prototype key';
  } catch (error) {
    return (error as Error).message;
  }
}
