/** The roles of DESIGN.md's users. A user or API key holds one or more. */
export const roles = [
  'citizen',
  'agent',
  'handler',
  'supervisor',
  'leader',
  'dept_data_owner',
  'data_admin',
  /** 授权运营机构: a market operator of public data under a licence */
  'market_operator',
  /** 数据使用者: a market user of authorized-operation products (their API keys call products) */
  'market_user',
  /** 实施机构: staff of the implementing body of authorized operation (registration, licences, approvals, review) */
  'operation_admin',
  /** 监管: reads authorized operation (licences, statements, disclosures) and verifies the ledger; changes nothing */
  'operation_supervisor',
  /** 运维: reads the service's metrics and health */
  'ops',
  'admin',
] as const;

export type Role = (typeof roles)[number];

export const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

/** Who is asking. Every service call receives one; `anonymous` holds no roles. */
export interface Actor {
  /** `system`: the product itself acting (jobs, ingestion, the CLI, the demo seed); see `systemActor`. */
  kind: 'user' | 'api_key' | 'system' | 'anonymous';
  /** user id or API key id */
  id?: string;
  username?: string;
  orgId?: string | null;
  roles: Role[];
}

export const anonymous: Actor = Object.freeze({ kind: 'anonymous', roles: [] }) as Actor;

/** A stable, non-personal reference to an actor for ledgers and timelines, e.g. `user:9b1…`. */
export const actorRef = (actor: Actor): string => (actor.kind === 'anonymous' ? 'anonymous' : `${actor.kind}:${actor.id}`);

/**
 * The product itself acting, named after what acts (`demo-seed`, `mqtt-ingest`, `cli`): ledgers and timelines
 * show `system:<name>`. It holds the roles given, the administrator's by default; give the narrowest that works.
 *
 * @example const ingest = systemActor('mqtt-ingest', ['dept_data_owner']);
 */
export const systemActor = (name: string, roles: Role[] = ['admin']): Actor =>
  Object.freeze({ kind: 'system', id: name, username: name, orgId: null, roles: Object.freeze([...roles]) as Role[] }) as Actor;
