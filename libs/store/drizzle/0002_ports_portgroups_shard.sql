CREATE TABLE "portgroups" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"name" text,
	"node_uuid" uuid NOT NULL,
	"address" text,
	"mode" text DEFAULT 'active-backup' NOT NULL,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"standalone_ports_supported" boolean DEFAULT true NOT NULL,
	"internal_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "portgroups_name_unique" UNIQUE("name"),
	CONSTRAINT "portgroups_address_unique" UNIQUE("address")
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "shard" text;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "portgroup_uuid" uuid;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "is_smartnic" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "internal_info" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "portgroups" ADD CONSTRAINT "portgroups_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "portgroups_node_idx" ON "portgroups" USING btree ("node_uuid");--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_portgroup_uuid_portgroups_uuid_fk" FOREIGN KEY ("portgroup_uuid") REFERENCES "public"."portgroups"("uuid") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_name_unique" UNIQUE("name");