// Prisma CLI configuration, read from the working directory by prisma 6.19.
// The schema engine runs as WebAssembly through a JavaScript driver adapter, so
// the image needs no native engine downloaded from Prisma's servers.
import { defineConfig } from "prisma/config";
import { PrismaPg } from "adapter-pg7";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 1 }),
});
