import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type Job as JobMessage,
  JobState as JobStateEnum,
} from "../gen/delayqueue/v1/delay_queue_pb.js";
import type { Job, JobState } from "./types.js";

const states: Record<JobStateEnum, JobState> = {
  [JobStateEnum.UNSPECIFIED]: "unspecified",
  [JobStateEnum.DELAYED]: "delayed",
  [JobStateEnum.READY]: "ready",
  [JobStateEnum.RESERVED]: "reserved",
};

/** The plain {@link Job} of a job message. */
export function plainJob(job: JobMessage): Job {
  return {
    topic: job.topic,
    id: job.id,
    body: job.body,
    state: states[job.state] ?? "unspecified",
    delay: job.delay,
    ttr: job.ttr,
    attempts: job.attempts,
    dueTime: job.dueTime && timestampDate(job.dueTime),
    reservedUntil: job.reservedUntil && timestampDate(job.reservedUntil),
    pushTime: job.pushTime && timestampDate(job.pushTime),
    token: job.token === "" ? undefined : job.token,
  };
}
