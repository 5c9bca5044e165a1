export { open311Routes, parseForm } from './routes.js';
export { Open311Service, type Open311TicketFiler, type Open311TicketInput, type UnitNames } from './open311-service.js';
export { open311Config, Open311ConfigSchema, type Open311Config } from './open311-config.js';
