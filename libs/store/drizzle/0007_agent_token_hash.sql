-- Agent tokens are no longer stored in clear: agent_token_hash (SHA-256) is what agents' requests
-- are checked against, agent_token_sealed (AES-GCM with INGOT_SECRET_KEY) what the conductor sends
-- to the agent. Tokens stored in clear are dropped, not migrated: SQL cannot seal them, the key is
-- not in the database. An agent booted before the upgrade is refused (401) from then on, and its
-- node fails at its wait deadline; running the operation again boots an agent with a new token.
ALTER TABLE "nodes" ADD COLUMN "agent_token_hash" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_token_sealed" text;--> statement-breakpoint
ALTER TABLE "nodes" DROP COLUMN "agent_token";