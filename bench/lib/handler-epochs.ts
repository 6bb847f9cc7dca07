// Runs in a bench's child process: epochs through a handler's train generator, printed as the one JSON line its parent reads.
import type { DataHandler } from '../../main/data/data-handler.js';

/** Setup time, then per epoch its time, images and skipped files; and the process's peak RSS. */
export async function printEpochTimings(handler: DataHandler, epochCount: number): Promise<void> {
  const setupStart = performance.now();
  const { train } = await handler.getData();
  if (!train) throw new Error('the handler gave no train split to time');
  const setupSeconds = (performance.now() - setupStart) / 1000;
  const epochs = [];
  for (let e = 0; e < epochCount; e++) {
    const start = performance.now();
    let images = 0;
    let checksum = 0;
    for await (const batch of train.iterateEpoch({ reuseBuffers: true })) {
      images += batch.shape[0];
      checksum += batch.x[0]!; // touch the data, as a consumer would
    }
    const seconds = (performance.now() - start) / 1000;
    epochs.push({ seconds, images, images_per_s: images / seconds, skipped: train.lastEpochSummary!.skipped, checksum });
  }
  await train.close();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ setup_seconds: setupSeconds, samples: train.sampleCount, epochs, peak_rss_mb: peakRssMb }));
}
