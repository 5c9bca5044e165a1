import { cosine, distanceMeters, type HashedVector } from './similar-index.js';
import type { EmergingAlert, HotIssue } from './schemas.js';

/** A ticket as the clustering sees it: its tf-idf vector, place, time, likes and (hashed) citizen. */
export interface HotItem {
  id: string;
  title: string;
  createdAt: number;
  vector: HashedVector;
  lon?: number | null;
  lat?: number | null;
  areaId?: string | null;
  likes?: number;
  citizenKey?: number | null;
}

export interface ClusterRules {
  clusterSimilarity: number;
  /** Clusters whose centroids are at least this alike (and at the same place) are merged after the first pass. */
  mergeSimilarity: number;
  clusterRadiusMeters: number;
}

export interface HeatRules {
  minClusterSize: number;
  topN: number;
  weights: { volume: number; citizens: number; likes: number; growth: number; recency: number };
  growthDays: number;
  recencyHalfLifeDays: number;
}

export interface AlertRules {
  baselineDays: number;
  minBaselineRate: number;
  alpha: number;
  minCount: number;
}

export interface Cluster {
  members: HotItem[];
  centroid: HashedVector;
}

const DAY = 86_400_000;

/**
 * Clusters items (in time order) incrementally: each joins the cluster whose centroid is most similar (cosine ≥
 * `clusterSimilarity`), provided the places agree (both points within `clusterRadiusMeters` of the cluster's first
 * point, or the same area); otherwise it starts a cluster. Candidate clusters come from an inverted index over the
 * centroids' hashed words, so the cost follows shared words, not the number of clusters. Then clusters of the same
 * matter that one pass split — their first tickets worded it differently — are merged (`mergeClusters`).
 */
export function clusterItems(items: readonly HotItem[], rules: ClusterRules): Cluster[] {
  return mergeClusters(firstPass(items, rules), rules);
}

function firstPass(items: readonly HotItem[], rules: ClusterRules): Cluster[] {
  const sorted = [...items].sort((a, b) => a.createdAt - b.createdAt);
  const clusters: { members: HotItem[]; sum: Map<number, number>; norm2: number }[] = [];
  const postings = new Map<number, number[]>();
  const dots = new Float64Array(Math.max(1, sorted.length));
  for (const item of sorted) {
    const touched: number[] = [];
    for (const [bucket, w] of item.vector) {
      const list = postings.get(bucket);
      if (!list) continue;
      for (const c of list) {
        if (dots[c] === 0) touched.push(c);
        dots[c] += w * clusters[c].sum.get(bucket)!;
      }
    }
    let best = -1;
    let bestSim = rules.clusterSimilarity;
    for (const c of touched) {
      const sim = dots[c] / Math.sqrt(clusters[c].norm2);
      dots[c] = 0;
      if (sim >= bestSim && samePlace(clusters[c].members[0], item, rules.clusterRadiusMeters)) {
        best = c;
        bestSim = sim;
      }
    }
    if (best < 0) {
      best = clusters.length;
      clusters.push({ members: [], sum: new Map(), norm2: 0 });
    }
    const cl = clusters[best];
    cl.members.push(item);
    for (const [bucket, w] of item.vector) {
      const old = cl.sum.get(bucket);
      if (old === undefined) {
        let list = postings.get(bucket);
        if (!list) postings.set(bucket, (list = []));
        list.push(best);
      }
      const next = (old ?? 0) + w;
      cl.sum.set(bucket, next);
      cl.norm2 += next * next - (old ?? 0) * (old ?? 0);
    }
  }
  return clusters.map((c) => {
    const norm = Math.sqrt(c.norm2) || 1;
    const centroid: HashedVector = new Map();
    for (const [k, v] of c.sum) centroid.set(k, v / norm);
    return { members: c.members, centroid };
  });
}

/**
 * Merges clusters of two or more tickets whose centroids have cosine ≥ `mergeSimilarity` and whose first tickets
 * are at the same place, transitively (union–find); a merged cluster keeps the earliest cluster's first ticket
 * (its id) and lists its members in time order. Candidates come from an inverted index over the centroids.
 */
export function mergeClusters(clusters: readonly Cluster[], rules: ClusterRules): Cluster[] {
  const multi = clusters.map((c, i) => i).filter((i) => clusters[i].members.length > 1);
  const parent = clusters.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i])));
  const postings = new Map<number, number[]>();
  const dots = new Map<number, number>();
  for (const i of multi) {
    dots.clear();
    for (const [bucket, w] of clusters[i].centroid) {
      for (const j of postings.get(bucket) ?? []) dots.set(j, (dots.get(j) ?? 0) + w * clusters[j].centroid.get(bucket)!);
      (postings.get(bucket) ?? postings.set(bucket, []).get(bucket)!).push(i);
    }
    for (const [j, sim] of dots) {
      if (sim >= rules.mergeSimilarity && samePlace(clusters[j].members[0], clusters[i].members[0], rules.clusterRadiusMeters)) {
        parent[root(i)] = root(j);
      }
    }
  }
  const groups = new Map<number, number[]>();
  clusters.forEach((_, i) => (groups.get(root(i)) ?? groups.set(root(i), []).get(root(i))!).push(i));
  return [...groups.values()].map((ids) => (ids.length === 1 ? clusters[ids[0]] : unite(ids.map((i) => clusters[i]))));
}

/** One cluster of several: members in time order, the centroid the normalised sum of the members' centroids by size. */
function unite(parts: readonly Cluster[]): Cluster {
  const members = parts.flatMap((p) => p.members).sort((a, b) => a.createdAt - b.createdAt);
  const sum: HashedVector = new Map();
  for (const p of parts) for (const [k, v] of p.centroid) sum.set(k, (sum.get(k) ?? 0) + v * p.members.length);
  const norm = Math.sqrt([...sum.values()].reduce((s, v) => s + v * v, 0)) || 1;
  for (const [k, v] of sum) sum.set(k, v / norm);
  return { members, centroid: sum };
}

function samePlace(a: HotItem, b: HotItem, radius: number): boolean {
  if (a.lon != null && a.lat != null && b.lon != null && b.lat != null) return distanceMeters(a.lon, a.lat, b.lon, b.lat) <= radius;
  if (a.areaId && b.areaId) return a.areaId === b.areaId;
  return true;
}

/** Place words: a district/county/street/community/estate/road name ending in one of these. */
const PLACE_RE = /[\p{Script=Han}A-Za-z0-9]{1,10}?(?:区|县|街道|镇|乡|社区|村|小区|花园|新城|苑|路|大道)/gu;

/**
 * The heat index of a cluster (docs/hotline-intel.md):
 * heat = w_v·ln(1+V) + w_c·ln(1+C) + w_l·ln(1+L) + w_g·max(0, ln((1+R)/(1+P))) + w_r·2^(−age/halfLife),
 * V tickets, C distinct citizens, L likes (or repeat calls), R and P the tickets of the last `growthDays` days
 * and of the `growthDays` before, age the days since the cluster's last ticket.
 */
export function heatOf(cluster: Cluster, now: number, rules: HeatRules): { heat: number; factors: HotIssue['factors'] } {
  const m = cluster.members;
  const citizens = new Set<number | string>();
  let likes = 0;
  let recent = 0;
  let prior = 0;
  let last = 0;
  const g = rules.growthDays * DAY;
  for (const t of m) {
    citizens.add(t.citizenKey ?? t.id);
    likes += Math.max(0, t.likes ?? 0);
    const age = now - t.createdAt;
    if (age <= g) recent++;
    else if (age <= 2 * g) prior++;
    if (t.createdAt > last) last = t.createdAt;
  }
  const factors = {
    volume: Math.log1p(m.length),
    citizens: Math.log1p(citizens.size),
    likes: Math.log1p(likes),
    growth: Math.max(0, Math.log((1 + recent) / (1 + prior))),
    recency: Math.pow(2, -Math.max(0, now - last) / DAY / rules.recencyHalfLifeDays),
  };
  const w = rules.weights;
  const heat =
    w.volume * factors.volume + w.citizens * factors.citizens + w.likes * factors.likes + w.growth * factors.growth + w.recency * factors.recency;
  return { heat, factors };
}

/** The top-N hot issues: clusters of at least `minClusterSize` tickets by heat, each described. */
export function rankHotIssues(clusters: readonly Cluster[], now: number, rules: HeatRules): HotIssue[] {
  return clusters
    .filter((c) => c.members.length >= rules.minClusterSize)
    .map((c) => ({ c, ...heatOf(c, now, rules) }))
    .sort((a, b) => b.heat - a.heat)
    .slice(0, rules.topN)
    .map(({ c, heat, factors }) => describe(c, heat, factors));
}

function describe(c: Cluster, heat: number, factors: HotIssue['factors']): HotIssue {
  let rep = c.members[0];
  let best = -1;
  for (const t of c.members) {
    const s = cosine(t.vector, c.centroid);
    if (s > best) {
      best = s;
      rep = t;
    }
  }
  const places = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const t of c.members) {
    for (const p of new Set(t.title.match(PLACE_RE) ?? [])) places.set(p, (places.get(p) ?? 0) + 1);
    if (t.areaId) areas.set(t.areaId, (areas.get(t.areaId) ?? 0) + 1);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const times = c.members.map((t) => t.createdAt);
  return {
    id: c.members[0].id,
    heat: Math.round(heat * 1000) / 1000,
    factors: Object.fromEntries(Object.entries(factors).map(([k, v]) => [k, Math.round(v * 1000) / 1000])) as HotIssue['factors'],
    title: rep.title,
    place: top(places),
    areaId: top(areas),
    from: new Date(Math.min(...times)).toISOString(),
    to: new Date(Math.max(...times)).toISOString(),
    memberIds: c.members.map((t) => t.id),
  };
}

/** P(X ≥ k) for X ~ Poisson(λ). */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-lambda);
  let cdf = term;
  for (let i = 1; i < k; i++) {
    term *= lambda / i;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/**
 * Emerging issues (未诉先办): a cluster whose last 24 hours exceed its own baseline — the mean daily count over the
 * `baselineDays` days before (floored at `minBaselineRate`) — with a Poisson upper tail below `alpha` and at
 * least `minCount` tickets.
 */
export function emergingAlerts(clusters: readonly Cluster[], now: number, rules: AlertRules, describeTitle = true): EmergingAlert[] {
  const out: EmergingAlert[] = [];
  for (const c of clusters) {
    let today = 0;
    let base = 0;
    for (const t of c.members) {
      const age = now - t.createdAt;
      if (age < 0) continue;
      if (age < DAY) today++;
      else if (age < (rules.baselineDays + 1) * DAY) base++;
    }
    if (today < rules.minCount) continue;
    const rate = base / rules.baselineDays;
    const lambda = Math.max(rate, rules.minBaselineRate);
    const p = poissonUpperTail(today, lambda);
    if (p >= rules.alpha) continue;
    const d = describeTitle ? describe(c, 0, { volume: 0, citizens: 0, likes: 0, growth: 0, recency: 0 }) : undefined;
    out.push({
      issueId: c.members[0].id,
      title: d?.title ?? c.members[0].title,
      place: d?.place ?? null,
      count: today,
      baselineRate: Math.round(rate * 1000) / 1000,
      pValue: p,
      zScore: Math.round(((today - lambda) / Math.sqrt(lambda)) * 100) / 100,
      memberIds: c.members.filter((t) => now - t.createdAt < DAY && t.createdAt <= now).map((t) => t.id),
    });
  }
  return out.sort((a, b) => a.pValue - b.pValue);
}
