-- The agent's self-signed certificate (IPA auto TLS, Ironic's agent_verify_ca), pinned with its
-- https callback URL by the first heartbeat and wiped with it; the conductor trusts only it.
ALTER TABLE "nodes" ADD COLUMN "agent_verify_ca" text;
