// Runs in a worker thread of the party: one update's SecAgg+ masking, so heartbeats and the UI are served while it runs.
import { serveJobs } from '../../data/pool/worker-pool.js';
import { maskedUpdateFiles, type MaskJob } from './masked-update.js';

serveJobs<MaskJob, Uint8Array[], undefined>(async (job) => {
  const files = maskedUpdateFiles(job);
  return { value: files, transfer: files.map((file) => file.buffer as ArrayBuffer) };
});
