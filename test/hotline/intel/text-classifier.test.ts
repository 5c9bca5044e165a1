import { describe, expect, it } from 'vitest';
import { TextClassifier, type LabeledText, type SerializedTextClassifier } from '../../../src/hotline/intel/text-classifier.js';
import { syntheticLabels, syntheticMessages } from './synthetic-messages.js';

describe('TextClassifier', () => {
  const train = syntheticMessages(40, 1);
  // Train on titles-only and bodies-only examples, as the real data comes, and test on full messages.
  const examples: LabeledText[] = train.map((m, i) => (i % 2 ? { title: m.title, label: m.label } : { detail: m.detail, label: m.label }));
  const model = TextClassifier.train({ examples });

  it('learns a small synthetic problem and gets held-out messages right', () => {
    const held = syntheticMessages(10, 99);
    const correct = held.filter((m) => model.predict(m).label === m.label).length;
    expect(correct / held.length).toBeGreaterThanOrEqual(0.9);
    const p = model.predict({ title: '夜间施工噪音扰民', detail: '工地的搅拌站夜间施工，噪音很大，粉尘也多。' });
    expect(p.label).toBe('环境保护');
    expect(p.top3.map((t) => t.label).sort()).toEqual([...syntheticLabels].sort());
    expect(p.top3[0].probability).toBeGreaterThan(p.top3[1].probability);
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p.confidence).toBe(p.top3[0].probability);
  });

  it('round-trips through JSON with the same predictions', () => {
    const json = JSON.parse(JSON.stringify(model.toJSON())) as SerializedTextClassifier;
    expect(json.format).toBe('cityhub.hotline.text-classifier');
    expect(json.summary.examples).toBe(examples.length);
    const restored = TextClassifier.fromJSON(json);
    for (const m of syntheticMessages(3, 7)) {
      const a = model.predict(m);
      const b = restored.predict(m);
      expect(b.label).toBe(a.label);
      expect(b.confidence).toBeCloseTo(a.confidence, 3);
    }
  });

  it('refuses a model of another format or version', () => {
    const json = model.toJSON();
    expect(() => TextClassifier.fromJSON({ ...json, version: 99 })).toThrow(/version 99/);
  });
});
