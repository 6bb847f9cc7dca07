// Runs in main (plain Node): the config methods: open a party.yaml, check unsaved text, save text atomically.
import path from 'node:path';
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { checkConfigText } from './config-text.js';
import type { EventBus } from './event-bus.js';
import { writeTextAtomically } from '../config/atomic-write.js';
import { ConfigError } from '../config/errors.js';
import { fsProblem } from '../config/fs-problem.js';
import { readConfigText } from '../config/yaml-config.js';
import type { RecentConfigs } from './recent-configs.js';
import { ServiceError } from './service-errors.js';

export class ConfigService {
  /** The config opened last (absolute): what a window shows, so what the party methods read when asked of no config in particular. */
  opened: string | null = null;

  constructor(
    readonly events: EventBus,
    readonly recent: RecentConfigs,
  ) {}

  open = async ({ file }: ArgsOf<'config.open'>): Promise<ResultIn<'config.open'>> => {
    const absolute = path.resolve(file);
    const text = await readConfigText(absolute).catch((error: unknown) => {
      // A file that cannot be opened has no lines to place problems on: the service failed at its task.
      throw error instanceof ConfigError ? new ServiceError('failed', error.message) : error;
    });
    const check = await checkConfigText(text, absolute);
    this.recent.note(absolute);
    this.opened = absolute;
    this.events.emit('config.opened', { file: absolute });
    return { file: absolute, text, ...check };
  };

  validate = ({ file, text }: ArgsOf<'config.validate'>): Promise<ResultIn<'config.validate'>> => checkConfigText(text, file);

  /** Refuses text with problems: the file on disk stays one the party can run with. */
  save = async ({ file, text }: ArgsOf<'config.save'>): Promise<ResultIn<'config.save'>> => {
    const check = await checkConfigText(text, file);
    if (!check.valid) {
      const [first] = check.issues;
      throw new ServiceError(
        'config-invalid',
        `not saved: ${check.issues.length} problem(s), first ${first!.key || 'the file'}: ${first!.problem}`,
        check.issues,
      );
    }
    await writeTextAtomically(file, text).catch((error: unknown) => {
      throw new ServiceError('failed', `cannot save ${file}: ${fsProblem(error)}`);
    });
    return check;
  };
}
