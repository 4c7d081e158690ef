-- The BIOS settings a node's BMC last reported, with their attribute registry (Ironic's
-- bios_settings table, read by GET /v1/nodes/{node}/bios).
CREATE TABLE "bios_settings" (
	"node_uuid" uuid NOT NULL,
	"name" text NOT NULL,
	"value" text,
	"attribute_type" text,
	"allowable_values" jsonb,
	"lower_bound" integer,
	"upper_bound" integer,
	"min_length" integer,
	"max_length" integer,
	"read_only" boolean,
	"reset_required" boolean,
	"unique" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "bios_settings_node_uuid_name_pk" PRIMARY KEY("node_uuid","name")
);
--> statement-breakpoint
ALTER TABLE "bios_settings" ADD CONSTRAINT "bios_settings_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;