/**
 * The queue the agent opened a ticket from, kept for the tab's session, so a ticket's page can offer "next ticket"
 * (下一件) after an action without going back to the list.
 */
const KEY = 'cityhub.work.queue';

export interface QueueNav {
  ids: string[];
  /** the queue's address (hash), to go back to */
  back: string;
}

export function rememberQueue(nav: QueueNav): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(nav));
  } catch {
    // storage off: no "next ticket", the list still works
  }
}

/** The ticket after `id` in the remembered queue (or its first other ticket), or null. */
export function nextInQueue(id: string): { id: string; back: string } | null {
  try {
    const nav = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as QueueNav | null;
    if (!nav || !Array.isArray(nav.ids)) return null;
    const at = nav.ids.indexOf(id);
    const next = nav.ids.slice(at + 1).find((x) => x !== id) ?? null;
    return next ? { id: next, back: nav.back } : null;
  } catch {
    return null;
  }
}
