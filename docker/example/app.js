// The example app: counts the users through the generated Prisma client,
// answers HTTP requests with that count and the User model's fields (as the
// generated client knows them: a field added to the schema shows once the
// client is generated again and the app restarted), and stops cleanly on SIGTERM (what
// `docker stop` sends; prisma-entrypoint passes it on).
"use strict";

const http = require("node:http");
const { Prisma, PrismaClient } = require("@prisma/client");
const { PrismaPg } = require("adapter-pg7");

const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
const port = Number(process.env.PORT || 3000);

async function main() {
  const users = await prisma.user.count();
  console.log(`app: connected, ${users} user(s) in the database`);
  const server = http.createServer(async (req, res) => {
    res.setHeader("content-type", "application/json");
    const fields = Object.keys(Prisma.UserScalarFieldEnum);
    res.end(JSON.stringify({ users: await prisma.user.count(), fields }) + "\n");
  });
  server.listen(port, () => console.log(`app: listening on port ${port}`));
  process.on("SIGTERM", () => {
    console.log("app: SIGTERM received, shutting down");
    server.close();
    prisma.$disconnect().finally(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
