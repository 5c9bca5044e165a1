// Worker thread entry: trains and evaluates one classifier model (model-training.ts starts it).
import { parentPort, workerData } from 'node:worker_threads';
import { trainAndEvaluate, type TrainingInput, type WorkerMessage } from './model-training.js';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

try {
  const result = trainAndEvaluate(workerData as TrainingInput, (message) => post({ type: 'progress', message }));
  post({ type: 'done', result });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
}
