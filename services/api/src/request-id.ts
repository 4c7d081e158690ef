import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** Ironic's request id format; returned as x-openstack-request-id and stored in node history. */
export const newRequestId = (): string => `req-${randomUUID()}`;

export const requestIdOf = (request: FastifyRequest): string => request.id;
