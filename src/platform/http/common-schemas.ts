import { Type, type TSchema } from 'typebox';

/**
 * Schema pieces every module's `schemas.ts` uses. A leaf (typebox only), like the schemas files that import it,
 * so the web app may import their types.
 */
export const Uuid = Type.String({ format: 'uuid' });

/** The schema, or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string or null. */
export const NStr = Nullable(Type.String());
