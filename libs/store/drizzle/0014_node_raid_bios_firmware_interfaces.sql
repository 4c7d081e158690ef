-- The raid, bios and firmware interfaces a node chose (raid_interface agent or no-raid,
-- ...), as boot_interface and inspect_interface: null means the hardware type's default.
ALTER TABLE "nodes" ADD COLUMN "raid_interface" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "bios_interface" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "firmware_interface" text;