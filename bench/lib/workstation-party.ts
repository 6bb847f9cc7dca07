// Runs as a child of bench/workstation.ts: the services process of a site (the real services host, joined with a party
// config), which reports when training starts and its own event-loop delay until the bench says stop.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { hostClient } from '../../main/services/host-client.js';
import { createServicesHost } from '../../main/services/services-host.js';

const [configFile] = process.argv.slice(2);
if (!configFile) throw new Error('usage: workstation-party.js <party.yaml>');

const host = createServicesHost({ version: 'bench' });
const services = hostClient(host);
/** The histogram holds each whole timer interval; the loop's own delay is what exceeds the resolution. */
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
let training = false;
let rounds = 0;

services.subscribe((event, payload) => {
  const state = event === 'party.state' ? (payload as { state: { type: string } }).state : null;
  if (state?.type === 'training' && !training) {
    training = true;
    delay.enable();
    console.log(JSON.stringify({ training: true }));
  }
  if (event === 'party.round') rounds++;
});

const joined = await services.call('party.join', { file: configFile });
if (!joined.ok) throw new Error(`party.join: ${joined.error.message}`);

// One line on stdin ends the measurement: the delay is read, then the party leaves without finishing its round.
for await (const _line of createInterface({ input: process.stdin })) break;
delay.disable();
const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100);
console.log(
  JSON.stringify({ loop_p50_ms: ms(delay.percentile(50)), loop_p99_ms: ms(delay.percentile(99)), loop_max_ms: ms(delay.max), rounds }),
);
await services.call('party.leave', { finish: false });
await host.close();
// As the real services process does once it has released everything: a gRPC channel's timers would keep it up.
process.exit(0);
