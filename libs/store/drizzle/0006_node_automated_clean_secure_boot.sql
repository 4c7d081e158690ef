ALTER TABLE "nodes" ADD COLUMN "automated_clean" boolean;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "secure_boot" boolean;