import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig, readModuleSections } from '../../src/platform/config/config.js';
import { ContextConfigSchema, type ContextConfig } from '../../src/context/config.js';

/**
 * docs/deploy/kubernetes/cityhub.yaml (no kubectl here): the manifests parse, the nodes are a StatefulSet whose
 * stable pod names (cityhub-<ordinal>) are the node ids, and the ConfigMap's configuration is one the product
 * accepts, with the persistent MQTT sessions those stable ids are for.
 */
type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

const file = path.join(import.meta.dirname, '../../docs/deploy/kubernetes/cityhub.yaml');
const manifests = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return d.toJS() as Manifest;
});
const one = (kind: string, name?: string) => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0];
};
const dir = mkdtempSync(path.join(tmpdir(), 'cityhub-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubernetes manifests', () => {
  it('run the nodes as a StatefulSet governed by a headless Service, no Deployment', () => {
    expect(manifests.filter((m) => m.kind === 'Deployment')).toEqual([]);
    const set = one('StatefulSet', 'cityhub');
    const governing = one('Service', set.spec.serviceName);
    expect(governing.spec.clusterIP).toBe('None');
    const labels = set.spec.template.metadata.labels;
    expect(labels).toMatchObject(set.spec.selector.matchLabels);
    for (const service of manifests.filter((m) => m.kind === 'Service')) expect(labels).toMatchObject(service.spec.selector);
    expect(set.spec.replicas).toBeGreaterThan(1);
  });

  it('name each node after its pod, and the configuration gives it a persistent MQTT session', () => {
    const set = one('StatefulSet', 'cityhub');
    const [container] = set.spec.template.spec.containers;
    const nodeId = container.env.find((e: { name: string }) => e.name === 'CITYHUB_NODE_ID');
    // metadata.name of a StatefulSet's pod is <set>-<ordinal>: stable across restarts (a Deployment's is not).
    expect(nodeId?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');

    // What the pod cityhub-2 starts with: the ConfigMap's variables, the mounted config.json, the downward API.
    const configMap = one('ConfigMap', container.envFrom.find((e: any) => e.configMapRef).configMapRef.name);
    const mount = container.volumeMounts.find((v: any) => configMap.data![v.name] === undefined && set.spec.template.spec.volumes.find((x: any) => x.name === v.name)?.configMap);
    expect(configMap.data!.CITYHUB_CONFIG_FILE).toBe(`${mount.mountPath}/config.json`);
    writeFileSync(path.join(dir, 'config.json'), configMap.data!['config.json']);
    const env: Record<string, string> = { ...configMap.data!, CITYHUB_CONFIG_FILE: path.join(dir, 'config.json'), CITYHUB_NODE_ID: `${set.metadata.name}-2`, LOG_LEVEL: 'silent' };
    delete env['config.json'];
    const config = loadConfig(env);
    expect(config.nodeId).toBe('cityhub-2');
    const context = readModuleSections(config, { context: ContextConfigSchema }).context as ContextConfig;
    expect(context.mqtt.sharedGroup).not.toBe('');
    expect(context.mqtt.sessionExpirySeconds).toBeGreaterThan(0);
    // A SIGTERMed node finishes within its grace period.
    expect(set.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(config.cluster.shutdownSeconds);
  });
});
