-- Ironic's firmware_information (API 1.86): each component's initial, current and last flashed
-- version; and the node's raid_config and target_raid_config (RAID steps).
CREATE TABLE "firmware_components" (
	"node_uuid" uuid NOT NULL,
	"component" text NOT NULL,
	"initial_version" text,
	"current_version" text,
	"last_version_flashed" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "firmware_components_node_uuid_component_pk" PRIMARY KEY("node_uuid","component")
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "raid_config" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "target_raid_config" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "firmware_components" ADD CONSTRAINT "firmware_components_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;