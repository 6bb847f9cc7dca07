// Tests (Node): a party config's `schedule:` section read from YAML: each problem on its line with the key at fault.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-schedule-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DATA = 'data:\n  name: Idx\n  info:\n    train_images: ./train.idx\n';

it('reads the schedule, and names the file, line and key of each bad value', async () => {
  const good = path.join(dir, 'good.yaml');
  await writeFile(
    good,
    `${DATA}schedule:\n  timezone: Europe/Berlin\n  windows:\n    - { days: [sat, sun], from: "00:00", to: "24:00" }\n`,
  );
  expect((await loadPartyConfig(good)).config.schedule).toEqual({
    timezone: 'Europe/Berlin',
    windows: [{ days: ['sat', 'sun'], from: '00:00', to: '24:00' }],
  });
  const bad = path.join(dir, 'bad.yaml');
  const windows = ['    - { from: "19:00", to: "07:00" }', '    - days: [sun, funday]', '      from: "08:00"', '      to: "25:00"'];
  await writeFile(bad, `${DATA}schedule:\n  timezone: Berlin\n  windows:\n${windows.join('\n')}\n`);
  const error = await loadPartyConfig(bad).then(
    () => null,
    (e: Error) => e,
  );
  expect(error?.message.split('\n')).toEqual([
    `${bad}:6: schedule.timezone: "Berlin" is not a time zone: write an IANA name such as Europe/Berlin, or UTC`,
    `${bad}:9: schedule.windows[1].days[1]: expected one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", got "funday"`,
    `${bad}:11: schedule.windows[1].to: "25:00" is not a time: write HH:MM on a 24-hour clock, or 24:00`,
  ]);
});
