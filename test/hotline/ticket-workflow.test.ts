import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { Problem } from '../../src/platform/errors/problem.js';
import { allowedActions, planTransition, transitionRules, type WorkflowTicket } from '../../src/hotline/ticket-workflow.js';
import { ticketActions, type TicketAction } from '../../src/hotline/ticket-enums.js';

const UNIT = 'unit-a';
const CITIZEN = 'citizen-1';
const actors: Record<string, Actor> = {
  agent: { kind: 'user', id: 'agent-1', roles: ['agent'], orgId: 'centre' },
  supervisor: { kind: 'user', id: 'sup-1', roles: ['supervisor'], orgId: 'centre' },
  handlerOwn: { kind: 'user', id: 'h-1', roles: ['handler'], orgId: UNIT },
  handlerOther: { kind: 'user', id: 'h-2', roles: ['handler'], orgId: 'unit-b' },
  citizenOwn: { kind: 'user', id: CITIZEN, roles: ['citizen'] },
  citizenOther: { kind: 'user', id: 'citizen-2', roles: ['citizen'] },
  leader: { kind: 'user', id: 'leader-1', roles: ['leader'], orgId: 'gov' },
  dataAdmin: { kind: 'user', id: 'da-1', roles: ['data_admin'] },
  anonymous: { kind: 'anonymous', roles: [] },
};

type Case = { status: string; satisfaction?: string; channel?: string; expect: Partial<Record<keyof typeof actors, TicketAction[]>> };

/**
 * The whole policy as a table: for each status, what each actor may do. Actors not listed may do nothing.
 * Every other (status × actor × action) must be refused with 409 and this list as `allowed`.
 */
const cases: Case[] = [
  { status: 'received', expect: { agent: ['dispatch', 'merge', 'recategorize'], supervisor: ['dispatch', 'supervise', 'merge', 'recategorize'] } },
  { status: 'dispatched', expect: { agent: ['merge', 'recategorize'], supervisor: ['supervise', 'merge', 'recategorize'], handlerOwn: ['accept', 'return'] } },
  { status: 'returned', expect: { agent: ['dispatch', 'merge', 'recategorize'], supervisor: ['dispatch', 'supervise', 'merge', 'recategorize'] } },
  { status: 'accepted', expect: { agent: ['merge', 'recategorize'], supervisor: ['supervise', 'merge', 'recategorize'], handlerOwn: ['start'] } },
  { status: 'in_progress', expect: { agent: ['merge', 'recategorize'], supervisor: ['supervise', 'merge', 'recategorize'], handlerOwn: ['answer'] } },
  { status: 'answered', expect: { agent: ['visit', 'merge', 'recategorize'], supervisor: ['visit', 'supervise', 'merge', 'recategorize'], citizenOwn: ['visit'] } },
  // a citizen rates only tickets filed online (web / app); a phone ticket is visited by the centre
  { status: 'answered', channel: 'phone', expect: { agent: ['visit', 'merge', 'recategorize'], supervisor: ['visit', 'supervise', 'merge', 'recategorize'] } },
  { status: 'visited', satisfaction: 'satisfied', expect: { agent: ['close', 'merge', 'recategorize'], supervisor: ['close', 'supervise', 'merge', 'recategorize'] } },
  {
    status: 'visited', satisfaction: 'unsatisfied',
    expect: { agent: ['close', 'merge', 'recategorize'], supervisor: ['close', 'reopen', 'supervise', 'merge', 'recategorize'] },
  },
  { status: 'closed', satisfaction: 'unsatisfied', expect: { supervisor: ['reopen'] } },
  { status: 'closed', satisfaction: 'satisfied', expect: {} },
  { status: 'merged', expect: {} },
];

const ticketFor = (c: Case): WorkflowTicket => ({
  status: c.status, unitId: UNIT, citizenUserId: CITIZEN, channel: c.channel ?? 'web', satisfaction: c.satisfaction ?? null,
});

describe('ticket workflow (pure state machine)', () => {
  for (const c of cases) {
    for (const [name, actor] of Object.entries(actors)) {
      const expected = c.expect[name as keyof typeof actors] ?? [];
      const label = `${c.status}${c.satisfaction ? `/${c.satisfaction}` : ''}${c.channel ? `/${c.channel}` : ''} × ${name}`;
      it(`${label}: allows exactly [${expected.join(', ')}]`, () => {
        expect(allowedActions(ticketFor(c), actor).sort()).toEqual([...expected].sort());
        for (const action of ticketActions) {
          if (expected.includes(action)) {
            expect(planTransition(ticketFor(c), actor, action).action).toBe(action);
          } else {
            let thrown: unknown;
            try {
              planTransition(ticketFor(c), actor, action);
            } catch (err) {
              thrown = err;
            }
            expect(thrown, `${label} ${action} must be refused`).toBeInstanceOf(Problem);
            const p = thrown as Problem;
            expect(p.status).toBe(409);
            expect(p.code).toBe('HOTLINE_TRANSITION_NOT_ALLOWED');
            expect((p.extra?.allowed as string[]).sort()).toEqual([...expected].sort());
          }
        }
      });
    }
  }

  it('lets an administrator take any action the status allows', () => {
    const admin: Actor = { kind: 'user', id: 'admin', roles: ['admin'] };
    expect(allowedActions({ status: 'dispatched', unitId: UNIT, citizenUserId: null, channel: 'phone', satisfaction: null }, admin).sort())
      .toEqual(['accept', 'merge', 'recategorize', 'return', 'supervise']);
  });

  it('has one rule per action and a Chinese name for each', () => {
    expect(transitionRules.map((r) => r.action).sort()).toEqual([...ticketActions].sort());
    for (const r of transitionRules) expect(r.zh).toMatch(/\p{Script=Han}/u);
  });
});
