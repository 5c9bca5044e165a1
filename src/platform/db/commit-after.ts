import pg from 'pg';
import type { CompiledQuery } from 'kysely';

/**
 * A transaction's last statement with its COMMIT sent right behind it, in the same round trip (issue 20).
 *
 * A transaction that holds a row every node queues for (the intake's day counter and the ledger's head) keeps it
 * until PostgreSQL runs its COMMIT. Sent after the last statement's answer, the COMMIT waits for the node's
 * process to be scheduled and to read that answer: on a busy host, milliseconds in which every other node waits
 * too. Behind the statement (extended protocol: parse, bind, execute the statement; parse, bind, execute COMMIT;
 * one sync) PostgreSQL commits as soon as the statement is done. When the statement fails PostgreSQL skips the
 * COMMIT (it discards up to the sync), and the caller rolls back as usual.
 *
 * The transaction's BEGIN goes the same way, with its first statement: one round trip less for every
 * transaction, on any row.
 *
 * The mark travels in the statement's text (a comment, so an engine without the wrapper, PGlite, runs the same
 * text and commits when the transaction ends); `pipelineCommits` wraps the PostgreSQL pool Kysely draws from.
 */
const MARK = '/* cityhub: commit after */';

/** The statement marked to be committed right behind: the transaction ends with it (`pipelineCommits`). */
export const commitAfter = (query: CompiledQuery): CompiledQuery => ({ ...query, sql: `${query.sql}\n${MARK}` });

/** The pg wire connection, as much of it as the query below writes to. */
interface WireConnection {
  execute(config: { portal?: string; rows?: number }): void;
  parse(config: { text: string }): void;
  bind(config: Record<string, never>): void;
  sync(): void;
}

/** Parse, bind and execute a statement without parameters (its results come to the query that sent it). */
const sendPlain = (connection: WireConnection, text: string): void => {
  connection.parse({ text });
  connection.bind({});
  connection.execute({});
};

/**
 * A query sent with the transaction's deferred BEGIN before it and/or COMMIT behind it, one sync for all: pg's
 * Query sends the statement's parse, bind and describe in `prepare` and its execute and sync in `_getRows`.
 */
class PipelinedQuery extends pg.Query {
  constructor(text: string, values: unknown[] | undefined, private readonly begin: boolean, private readonly commit: boolean, callback: (err: Error | undefined, res: unknown) => void) {
    super({ text, values, queryMode: 'extended' } as pg.QueryConfig, callback);
  }

  prepare(connection: WireConnection): void {
    if (this.begin) sendPlain(connection, 'begin');
    (pg.Query.prototype as unknown as { prepare(c: WireConnection): void }).prepare.call(this, connection);
  }

  _getRows(connection: WireConnection, rows?: number): void {
    connection.execute({ portal: (this as unknown as { portal?: string }).portal, rows });
    if (this.commit) sendPlain(connection, 'commit');
    connection.sync();
  }
}

type Result = pg.QueryResult;
type Client = pg.PoolClient;

/**
 * A client that holds a transaction's BEGIN back and sends it with the first statement, sends a statement marked
 * by `commitAfter` with its COMMIT, and answers itself what is then left to send (a BEGIN never followed by a
 * statement, the transaction's own COMMIT after the marked statement).
 */
function pipelining(client: Client): Client {
  let beginHeld = false;
  let committed = false;
  const query = async (text: unknown, values?: unknown[]): Promise<unknown> => {
    if (typeof text !== 'string') return (client.query as (q: unknown, v?: unknown[]) => unknown)(text, values);
    const ending = text === 'commit' || text === 'rollback';
    if (ending && (committed || beginHeld)) {
      // Nothing is open on the server: the marked statement committed, or no statement ever followed the BEGIN.
      committed = beginHeld = false;
      return { command: text.toUpperCase(), rowCount: null, rows: [], fields: [] };
    }
    committed = false;
    if (text === 'begin') {
      beginHeld = true;
      return { command: 'BEGIN', rowCount: null, rows: [], fields: [] };
    }
    const commit = text.endsWith(MARK);
    if (!commit && !beginHeld) return client.query(text, values);
    const begin = beginHeld;
    beginHeld = false;
    const results = values?.length
      ? await new Promise<Result | Result[]>((resolve, reject) => {
        void client.query(new PipelinedQuery(text, values, begin, commit, (err, res) => (err ? reject(err) : resolve(res as Result | Result[]))));
      })
      // Without parameters (a migration's script may hold several statements): one simple query of them all.
      : await client.query(`${begin ? 'begin;\n' : ''}${text}${commit ? '\n;commit' : ''}`) as unknown as Result | Result[];
    committed = commit;
    const own = (Array.isArray(results) ? results : [results]).slice(begin ? 1 : 0, commit ? -1 : undefined);
    return own.length === 1 ? own[0] : own;
  };
  return new Proxy(client, { get: (target, key) => (key === 'query' ? query : Reflect.get(target, key, target)) });
}

/**
 * The pool Kysely draws from, its clients sending a statement marked by `commitAfter` with its COMMIT. Everything
 * else passes through unchanged (the metrics and direct queries keep using the pool itself).
 */
export function pipelineCommits(pool: pg.Pool): { connect(): Promise<Client>; end(): Promise<void> } {
  const wrapped = new WeakMap<Client, Client>();
  return {
    async connect() {
      const client = await pool.connect();
      let own = wrapped.get(client);
      if (!own) wrapped.set(client, (own = pipelining(client)));
      return own;
    },
    end: () => pool.end(),
  };
}
