/** The time source services use, so tests can move time (deadlines, expiry) without sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
