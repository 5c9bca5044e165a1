import { defineModule } from '../../platform/module/module.js';
import { systemActor } from '../../platform/auth/roles.js';
import { Open311ConfigSchema } from './config.js';
import { open311Problems } from './problems.js';
import { Open311Service } from './open311-service.js';
import { open311Routes } from './open311-routes.js';
import type { NewTicket } from '../schemas.js';

export { Open311Service, type Open311TicketFiler, type Open311TicketInput, type UnitNames } from './open311-service.js';
export { Open311ConfigSchema, type Open311Config } from './config.js';
export { parseForm } from './open311-routes.js';

declare module '../../platform/module/module.js' {
  interface ModuleServices {
    /** The Open311 GeoReport v2 facade over hotline tickets: services, requests, filing with an API key. */
    open311: Open311Service;
  }
}

/**
 * Open311 GeoReport v2 under `/open311/v2` (docs/open311.md): hotline categories as services, tickets as service
 * requests. Filing goes through the hotline's intake as the API key's actor; reads are public.
 */
export const open311Module = defineModule({
  name: 'open311',
  config: Open311ConfigSchema,
  // Its one column (hotline_ticket.open311_token) belongs to the hotline's ticket table and migrations.
  migrations: {},
  problems: open311Problems,
  permissions: {},
  requires: ['hotline'],
  create(platform, config, deps) {
    // Unit names are public (agency_responsible): read as the facade itself, with the narrowest role that reads them.
    const facade = systemActor('open311-facade', ['agent']);
    const open311 = new Open311Service({
      db: platform.db,
      clock: platform.clock,
      config,
      tickets: {
        fileOpen311Ticket: async (actor, t, key) => {
          const input: NewTicket = {
            channel: 'open311',
            // Filed into a public API whose GET requests lists it: published (masked) by the act of filing.
            public: true,
            title: t.title,
            content: t.content,
            // Open311 hands the description back byte for byte: the intake keeps it untrimmed.
            keepTextAsSent: true,
            open311AddressId: t.addressId,
            categoryId: t.categoryId,
            address: t.address,
            lat: t.lat,
            lon: t.lon,
            citizenName: t.citizenName,
            citizenPhone: t.citizenPhone,
            attachments: t.mediaUrl ? [{ name: 'media_url', type: 'url', size: 0, url: t.mediaUrl }] : [],
            open311Token: t.token,
          };
          return key === undefined ? deps.hotline.intake.create(actor, input) : (await deps.hotline.intake.createOnce(actor, input, key)).ticket;
        },
      },
      actorForApiKey: (key) => platform.auth.actorForApiKey(key),
      unitNames: async () => new Map((await platform.auth.listOrgs(facade)).map((o) => [o.id, o.name])),
      personal: deps.hotline.personal,
    });
    return { services: open311, routes: [{ prefix: '/open311/v2', plugin: open311Routes(open311, config) }] };
  },
});
