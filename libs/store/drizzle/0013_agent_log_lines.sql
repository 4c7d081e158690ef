-- Agent logs per node (issue #12): the lines the agent ramdisk ships to the API, redacted before
-- storage, bounded per node by pruning the oldest (libs/store/src/agent-logs.ts), deleted with the node.
CREATE TABLE "agent_log_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"node_uuid" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"level" text NOT NULL,
	"message" text NOT NULL,
	"boot" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_log_lines" ADD CONSTRAINT "agent_log_lines_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_log_lines_node_idx" ON "agent_log_lines" USING btree ("node_uuid","id");