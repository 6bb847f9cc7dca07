// Tests (Node, a real services process): `tributary console`: its usage errors, what it prints, and that the printed URL is the way in.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { consoleCommand } from '../../../main/cli/console-command.js';

const EXAMPLE = path.resolve('examples/image-folder/party.yaml');

describe('tributary console', () => {
  it('prints the URL with its token and how to reach it, serves the app there, and refuses it without the token', async () => {
    const lines: string[] = [];
    let page = 0,
      withoutToken = 0,
      info: unknown;
    const code = await consoleCommand(['--config', EXAMPLE], {
      print: (text) => lines.push(text),
      untilStopped: async (running) => {
        const url = new URL(running.url);
        page = (await fetch(url)).status;
        withoutToken = (await fetch(new URL('/', url))).status;
        info = await running.services.call('app.info', {});
      },
    });
    expect(code).toBe(0);
    const printed = lines.join('\n');
    expect(printed).toContain(`Tributary console for ${EXAMPLE}`);
    expect(printed).toMatch(/^ {2}open http:\/\/127\.0\.0\.1:\d+\/[\w-]{43}\/$/m);
    expect(printed).toMatch(/ssh -L (\d+):127\.0\.0\.1:\1 /);
    expect([page, withoutToken]).toEqual([200, 403]);
    expect(info).toMatchObject({ ok: true, value: { startConfig: EXAMPLE } });
  });

  it('stops at SIGTERM (a service manager) as at Ctrl-C, and leaves no signal listener behind', async () => {
    const listening = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listening();
    // Sent once the page has its first answer: the console listens by then (a signal nobody listens to ends the process).
    const print = (text: string) => void answered(/open (\S+)/.exec(text)![1]!).then(() => process.kill(process.pid, 'SIGTERM'));
    expect(await consoleCommand(['--config', EXAMPLE], { print })).toBe(0);
    expect(listening()).toEqual(before);
  });

  it('starts without --config: says so, and the services have no config to show first', async () => {
    const lines: string[] = [];
    let info: unknown;
    const untilStopped = async (running: { services: { call(method: 'app.info', args: object): Promise<unknown> } }) =>
      void (info = await running.services.call('app.info', {}));
    expect(await consoleCommand([], { print: (text) => lines.push(text), untilStopped })).toBe(0);
    expect(lines.join('\n')).toContain('Tributary console, no config yet: it opens on New site and the recent configs');
    expect(info).toMatchObject({ ok: true, value: { startConfig: null, recentConfigs: [] } });
  });

  it('refuses a config that is not there and a bad --port as usage errors', async () => {
    await expect(consoleCommand(['--config', 'nowhere.yaml'])).rejects.toMatchObject({
      name: 'UsageError',
      message: '--config nowhere.yaml: no such file',
    });
    await expect(consoleCommand(['--config', EXAMPLE, '--port', '70000'])).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('--port'),
    });
  });
});

/** Resolves when a page at the console's URL has its answer to app.info, the services up behind it. */
function answered(url: string): Promise<void> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}api`, { origin: new URL(url).origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'app.info', args: {} })));
    ws.on('message', (data) => (JSON.parse(String(data)) as { id?: number }).id === 1 && resolve(ws.close()));
    ws.once('error', reject);
  });
}
