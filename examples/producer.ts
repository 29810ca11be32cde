// Pushes three emails to the "emails" topic: one ready now, two later.
// Run it next to `npm start`: node --import tsx examples/producer.ts
import { randomUUID } from "node:crypto";
import { createClient } from "delay-queue/sdk";

const client = createClient({
  baseUrl: process.env.DQ_SERVER ?? "http://127.0.0.1:9277",
  token: process.env.DQ_TOKEN, // only needed when the server has auth_tokens
});

const emails = [
  { to: "ada@example.com", subject: "Welcome!", delay: 0 },
  { to: "grace@example.com", subject: "How is it going?", delay: 1 },
  { to: "alan@example.com", subject: "Your trial ends soon", delay: 2.5 },
];

for (const { to, subject, delay } of emails) {
  const id = `email-${randomUUID()}`;
  const { dueTime } = await client.push({
    topic: "emails",
    id, // pushing the same id again replaces the job: a way to reschedule it
    body: JSON.stringify({ to, subject }),
    delay, // seconds before a consumer can get it; fractions are fine
    ttr: 30, // seconds the consumer has to finish it, or it is handed out again
  });
  console.log(`pushed ${id} (due ${dueTime?.toISOString()})`);
}
