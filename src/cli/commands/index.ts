import type { Command } from '../command.js';

/** Every `cityhub` command; add a new one here. */
export const commands: Command[] = [];
