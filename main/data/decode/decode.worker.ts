// Runs in a worker thread of the decode pool: answers each decode or probe job in its generator's context, and DICOM file jobs.
import { serveJobs } from '../pool/worker-pool.js';
import { runJob, type DecodeContext, type DecodeResult, type Job } from './decode-jobs.js';

serveJobs<Job, DecodeResult, DecodeContext>(runJob);
