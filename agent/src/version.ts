/** Reported as agent_version in heartbeats and by GET /v1/status. */
export const AGENT_VERSION = '0.1.0';
