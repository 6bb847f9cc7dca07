// Runs in the renderer: the wall clock as shared reactive state, for words that change with the time of day (the schedule's windows).

/** A window opens or closes on a whole minute; a quarter of one is soon enough to say so. */
const TICK_MS = 15_000;

/** `ms`: milliseconds since the epoch, as Date.now() gives them, renewed every tick. */
export const clock = $state({ ms: Date.now() });

setInterval(() => (clock.ms = Date.now()), TICK_MS);
