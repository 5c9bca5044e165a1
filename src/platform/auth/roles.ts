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
  /**
   * 系统管理员 (三员之一): configuration, organisations, accounts' existence, API keys and every business function;
   * not roles, policies or the audit trail (see `separatedPermissions`).
   */
  'admin',
  /** 安全管理员 (三员之一): assigns roles, resets second factors, sees the security alerts */
  'security_admin',
  /** 审计管理员 (三员之一): reads, exports and verifies the audit trail; changes nothing */
  'audit_admin',
  /** 见证节点: another CityHub node's key that deposits its ledger checkpoints here (docs/ledger.md); nothing else */
  'ledger_peer',
] as const;

export type Role = (typeof roles)[number];

export const isRole = (value: string): value is Role => (roles as readonly string[]).includes(value);

/**
 * The three administrators of 三员分立 (GB/T 22239-2019 8.1.4.2, level 3): no account or key holds two of them,
 * so no one person configures the system, grants its powers and audits both.
 */
export const administratorRoles = ['admin', 'security_admin', 'audit_admin'] as const satisfies readonly Role[];

/** The administrator roles among `held` (more than one is refused wherever roles are set). */
export const heldAdministratorRoles = (held: readonly string[]): Role[] =>
  administratorRoles.filter((r) => held.includes(r));

/** Who is asking. Every service call receives one; `anonymous` holds no roles. */
export interface Actor {
  /** `system`: the product itself acting (jobs, ingestion, the CLI, the demo seed); see `systemActor`. */
  kind: 'user' | 'api_key' | 'system' | 'anonymous';
  /** user id or API key id */
  id?: string;
  username?: string;
  orgId?: string | null;
  roles: Role[];
  /**
   * A session that may do nothing but finish signing in: change the password (first login, expired) or enrol the
   * second factor its roles require. The access gate lets it reach only the routes that do that.
   */
  pending?: 'password_change' | 'totp_enrolment';
  /** Where the request came from (the client behind a trusted proxy): set by the access gate, for the audit trail. */
  address?: string;
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
