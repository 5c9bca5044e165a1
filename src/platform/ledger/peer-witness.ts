import type { Witness, WitnessedCheckpoint } from './witness.js';

/** Where a node deposits its checkpoints: another CityHub node's base URL and a key holding `ledger_peer` there. */
export interface PeerConfig {
  /** `https://cityhub-b.example.gov.cn` */
  url: string;
  apiKey: string;
}

/**
 * Another CityHub node as the witness of this one's ledger (witness-desk.ts on the other side): every checkpoint
 * is deposited there over HTTPS, and `ledger verify` reads them back. Run the peer under other administrators
 * (another data centre, the auditors' own node), so one person cannot cut both.
 *
 * @example new PeerWitness({ url: 'https://cityhub-b.example.gov.cn', apiKey: process.env.WITNESS_KEY! })
 */
export class PeerWitness implements Witness {
  readonly name: string;
  private readonly endpoint: string;

  constructor(private readonly peer: PeerConfig, private readonly timeoutMs = 10_000) {
    this.endpoint = new URL('/api/ledger/witness/checkpoints', peer.url).toString();
    this.name = `peer ${new URL(peer.url).origin}`;
  }

  async record(checkpoint: WitnessedCheckpoint): Promise<void> {
    await this.call('POST', this.endpoint, checkpoint);
  }

  async list(): Promise<WitnessedCheckpoint[]> {
    const all: WitnessedCheckpoint[] = [];
    for (let after = -1; ;) {
      const page = (await this.call('GET', `${this.endpoint}?after=${after}`)) as { checkpoints: WitnessedCheckpoint[]; next: number | null };
      all.push(...page.checkpoints);
      if (page.next === null) return all;
      after = page.next;
    }
  }

  private async call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.peer.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name} answered ${res.status} to ${method}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  }
}
