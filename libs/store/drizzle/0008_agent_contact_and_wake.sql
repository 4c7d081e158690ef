-- Facts that end a wait sooner than its deadline: agent_contact_at (set by the agent's lookup) tells a
-- ramdisk that never booted from an agent that died; wake_at is when a conductor's sweeper looks
-- at the node again (agent checks, retries after transient failures), scanned through a partial index.
ALTER TABLE "nodes" ADD COLUMN "agent_contact_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "wake_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "nodes_wake_idx" ON "nodes" USING btree ("wake_at") WHERE "wake_at" IS NOT NULL;