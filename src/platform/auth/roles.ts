/** The roles of DESIGN.md's users. A user or API key holds one or more. */
export const roles = [
  'citizen',
  'agent',
  'handler',
  'supervisor',
  'leader',
  'dept_data_owner',
  'data_admin',
  'operator',
  'admin',
] as const;

export type Role = (typeof roles)[number];

export const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

/** Who is asking. Every service call receives one; `anonymous` holds no roles. */
export interface Actor {
  kind: 'user' | 'api_key' | 'anonymous';
  /** user id or API key id */
  id?: string;
  username?: string;
  orgId?: string | null;
  roles: Role[];
}

export const anonymous: Actor = Object.freeze({ kind: 'anonymous', roles: [] }) as Actor;

/** A stable, non-personal reference to an actor for ledgers and timelines, e.g. `user:9b1…`. */
export const actorRef = (actor: Actor): string => (actor.kind === 'anonymous' ? 'anonymous' : `${actor.kind}:${actor.id}`);
