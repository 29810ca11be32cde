// Handles the "emails" topic, four at a time, until Ctrl-C.
// Run it next to `npm start`: node --import tsx examples/consumer.ts
import { consume, createClient, type Job } from "delay-queue/sdk";

const client = createClient({
  baseUrl: process.env.DQ_SERVER ?? "http://127.0.0.1:9277",
  token: process.env.DQ_TOKEN, // only needed when the server has auth_tokens
});

async function sendEmail(job: Job, signal: AbortSignal): Promise<void> {
  const { to, subject } = JSON.parse(job.body) as { to: string; subject: string };
  // A real handler would call a mail API here, passing `signal` along: it aborts when the
  // job's ttr runs out, since the job may then be handed to another consumer.
  signal.throwIfAborted();
  console.log(`handled ${job.id}: "${subject}" to ${to} (attempt ${job.attempts})`);
}

const consumer = consume(client, {
  topics: ["emails"],
  concurrency: 4,
  // Returning finishes the job; throwing releases it, so it is handed out again.
  handler: (job, { signal }) => sendEmail(job, signal),
});
console.log("consuming emails; Ctrl-C to stop");

// Stop gracefully: no new pops, and wait for the emails being sent.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void consumer.stop());
}
await consumer.done;
console.log("stopped");
