// Runs in a worker thread of the decode pool: answers each decode or probe job in its generator's context.
import { serveJobs } from '../pool/worker-pool.js';
import { runJob, type DecodeContext, type DecodeResult, type Job } from './decode-jobs.js';

serveJobs<Job, DecodeResult, DecodeContext>((job, context) => {
  if (!context) throw new Error('a decode job came without its context');
  return runJob(job, context);
});
