-- Ironic's deploy templates (API 1.55), allocations (1.52) and chassis: their tables, and on nodes
-- the chassis a node is in (a chassis with nodes cannot be deleted) and the allocation that reserved it.
CREATE TABLE "allocations" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"name" text,
	"node_uuid" uuid,
	"state" text DEFAULT 'allocating' NOT NULL,
	"last_error" text,
	"resource_class" text,
	"traits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"candidate_nodes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"owner" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "allocations_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "chassis" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"description" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "deploy_templates" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "deploy_templates_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "chassis_uuid" uuid;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "allocation_uuid" uuid;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "allocations_node_uq" ON "allocations" USING btree ("node_uuid");--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_chassis_uuid_chassis_uuid_fk" FOREIGN KEY ("chassis_uuid") REFERENCES "public"."chassis"("uuid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nodes_chassis_idx" ON "nodes" USING btree ("chassis_uuid");