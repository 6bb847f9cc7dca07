// Runs in plain Node: the entry of `npm start` (after the build): the desktop app, or the reason it cannot start here.
import { defaultLauncherDeps, launchDesktop } from './launcher.js';

process.exitCode = await launchDesktop(defaultLauncherDeps);
