CREATE TABLE "conductors" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"conductor_group" text DEFAULT '' NOT NULL,
	"service" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handled_messages" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "handled_messages_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "node_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"uuid" uuid DEFAULT gen_random_uuid() NOT NULL,
	"node_uuid" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"severity" text DEFAULT 'INFO' NOT NULL,
	"event_type" text NOT NULL,
	"event" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"request_id" text,
	"conductor" text,
	"user" text
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"name" text,
	"driver" text NOT NULL,
	"driver_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"driver_secrets" text,
	"driver_internal_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"instance_info" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"conductor_group" text DEFAULT '' NOT NULL,
	"resource_class" text,
	"description" text,
	"owner" text,
	"lessee" text,
	"boot_mode" text,
	"provision_state" text DEFAULT 'enroll' NOT NULL,
	"target_provision_state" text,
	"provision_updated_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"power_state" text,
	"target_power_state" text,
	"last_error" text,
	"maintenance" boolean DEFAULT false NOT NULL,
	"maintenance_reason" text,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"lease_purpose" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "nodes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "ports" (
	"uuid" uuid PRIMARY KEY NOT NULL,
	"node_uuid" uuid NOT NULL,
	"address" text NOT NULL,
	"pxe_enabled" boolean DEFAULT true NOT NULL,
	"local_link_connection" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"physical_network" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_node_uuid_nodes_uuid_fk" FOREIGN KEY ("node_uuid") REFERENCES "public"."nodes"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "node_history_node_idx" ON "node_history" USING btree ("node_uuid","id");--> statement-breakpoint
CREATE INDEX "nodes_site_state_idx" ON "nodes" USING btree ("conductor_group","provision_state");--> statement-breakpoint
CREATE INDEX "nodes_deadline_idx" ON "nodes" USING btree ("deadline_at");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("seq") WHERE "published_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "ports_address_uq" ON "ports" USING btree ("address");--> statement-breakpoint
CREATE INDEX "ports_node_idx" ON "ports" USING btree ("node_uuid");