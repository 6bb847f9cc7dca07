// Runs in the renderer: whether the services are there, for a banner when they are restarting or gone.
import type { PayloadOf } from '../../common/contract/contract.js';

class ServicesStatus {
  current = $state<PayloadOf<'app.servicesState'>>({ state: 'ready' });

  update = (status: PayloadOf<'app.servicesState'>): void => {
    this.current = status;
  };
}

export const servicesStatus = new ServicesStatus();
