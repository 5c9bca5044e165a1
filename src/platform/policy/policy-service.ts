import type { Db } from '../db/database.js';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import type { Ledger } from '../ledger/ledger.js';
import { registerLedgerContent } from '../ledger/content.js';
import { assertCan } from '../auth/permissions.js';
import { actorRef, administratorRoles, isRole, type Actor, type Role } from '../auth/roles.js';
import { defaultPasswordPolicy } from '../auth/password-policy.js';
import { Problem } from '../errors/problem.js';
import type { SecurityPolicy, SecurityPolicyView } from './policy-schema.js';
import * as store from './policy-store.js';

/** How often a node reads the policy again, so a change made on another node is in force everywhere within it. */
const REFRESH_MS = 15_000;

registerLedgerContent({
  prefix: 'security_policy',
  noun: 'security policy (安全策略)',
  page: async (db, afterId) => (await store.listPolicyRows(db, afterId)).map((r) => ({ id: r.id, label: `version ${r.version}`, content: { policy: r.policy } })),
});

/** The policy the config file sets: the defaults until the security administrator changes them. */
export function policyFromConfig(config: Pick<Config, 'auth' | 'audit'>): SecurityPolicy {
  const { auth, audit } = config;
  return {
    password: { ...defaultPasswordPolicy, ...auth.password },
    session: { idleMinutes: auth.sessionIdleMinutes ?? 30, lifetimeHours: auth.sessionTtlHours },
    totpRoles: (auth.totp?.requiredForRoles ?? [...administratorRoles]).filter(isRole),
    alerts: { ...audit.alerts },
  };
}

/**
 * The security policies under the security administrator (三员分立: the system administrator cannot change them):
 * stored in the database over the config file's defaults, every change a ledger entry that vouches for the whole
 * policy (`ledger verify` names a policy rewritten in its table). `auth` and `audit` are the live settings the
 * identity and audit services read on every call; a change is applied to them at once on this node and within
 * 15 s on the others.
 */
export class SecurityPolicyService {
  readonly auth: Config['auth'];
  readonly audit: Config['audit'];
  private readonly defaults: SecurityPolicy;
  private version = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    config: Pick<Config, 'auth' | 'audit'>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.auth = { ...config.auth };
    this.audit = { ...config.audit };
    this.defaults = policyFromConfig(config);
    this.apply(this.defaults);
  }

  /** Puts the stored policy in force (at start, and every 15 s once started). */
  async refresh(): Promise<void> {
    const row = await store.findPolicy(this.db);
    if (row && row.version !== this.version) {
      this.apply(row.policy);
      this.version = row.version;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh().catch(this.onError), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async read(actor: Actor): Promise<SecurityPolicyView> {
    assertCan(actor, 'security.policy.read');
    const row = await store.findPolicy(this.db);
    return {
      policy: row?.policy ?? this.defaults, version: row?.version ?? 0, updatedBy: row?.updated_by ?? null,
      updatedAt: row ? new Date(row.updated_at).toISOString() : null, defaults: this.defaults,
    };
  }

  /** Replaces the policy; the entry names the sections changed and vouches for the whole of it. */
  async update(actor: Actor, policy: SecurityPolicy): Promise<SecurityPolicyView> {
    assertCan(actor, 'security.policy.manage');
    const missing = administratorRoles.filter((r) => !policy.totpRoles.includes(r));
    if (missing.length > 0) {
      throw new Problem('VALIDATION_FAILED', {
        errors: [{ field: '/body/totpRoles', message: `the administrators always need a second factor: add ${missing.join(', ')} / 三员必须使用动态验证码` }],
      });
    }
    const before = (await this.read(actor)).policy;
    const changed = (Object.keys(policy) as (keyof SecurityPolicy)[]).filter((k) => JSON.stringify(policy[k]) !== JSON.stringify(before[k]));
    const row = await this.db.transaction().execute(async (trx) => {
      const saved = await store.savePolicy(trx, policy, actorRef(actor), this.clock());
      await this.ledger.append('security.policy.changed', actor, 'security_policy:current', {
        version: saved.version, changed, address: actor.address ?? null,
      }, { trx, content: { policy: saved.policy } });
      return saved;
    });
    this.apply(row.policy);
    this.version = row.version;
    return this.read(actor);
  }

  private apply(p: SecurityPolicy): void {
    Object.assign(this.auth, {
      password: { ...p.password },
      sessionIdleMinutes: p.session.idleMinutes,
      sessionTtlHours: p.session.lifetimeHours,
      totp: { ...(this.auth.totp ?? { issuer: 'CityHub', window: 1 }), requiredForRoles: [...p.totpRoles] as Role[] },
    });
    this.audit.alerts = { ...p.alerts };
  }
}
