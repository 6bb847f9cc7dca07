// Runs in the CLI process: a run's task waiting for approval, in lines for a terminal, with how to approve or decline it.
import type { PendingTask } from '../federation/client/task-review.js';

/** `configFile`: the config as the operator named it, so the command printed can be pasted as it is. */
export function reviewLines({ task, outside, deadline }: PendingTask, configFile: string): string[] {
  const value = (name: string, shown: number | null) =>
    shown === null ? '-' : `${shown}${task.setByServer.includes(name) ? '' : " (this site's own)"}`;
  const quoted = JSON.stringify(configFile);
  return [
    `run ${task.runId} asks this site to ${task.messageType === 'train' ? 'train' : 'evaluate'}; it waits for approval until ${deadline}`,
    ...(outside ? [`  not approved without asking: ${outside}`] : []),
    `  model          ${task.model.name ?? 'the config\u2019s'}: ${task.model.arrays} arrays, ${task.model.parameters} parameters`,
    `  rounds         ${task.rounds ?? 'not said by the server'}${task.round === null ? '' : ` (this is round ${task.round})`}`,
    `  local epochs   ${value('local epochs', task.localEpochs)}`,
    `  learning rate  ${value('learning rate', task.learningRate)}`,
    `  batch size     ${value('batch size', task.batchSize)}`,
    `  sends back     ${task.sends.join(', ')}`,
    `  approve: tributary approve --config ${quoted} --run ${task.runId}`,
    `  decline: tributary approve --config ${quoted} --run ${task.runId} --decline "why"`,
  ];
}
