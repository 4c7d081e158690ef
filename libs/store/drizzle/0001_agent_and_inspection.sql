CREATE TABLE "inspection_rules" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"description" text,
	"priority" integer DEFAULT 0 NOT NULL,
	"sensitive" boolean DEFAULT false NOT NULL,
	"phase" text DEFAULT 'main' NOT NULL,
	"conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "node_inventory" (
	"node_uuid" uuid PRIMARY KEY NOT NULL,
	"inventory" jsonb NOT NULL,
	"plugin_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "traits" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_token" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_token_pregenerated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_url" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_version" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "agent_last_heartbeat" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "node_inventory" ADD CONSTRAINT "node_inventory_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;