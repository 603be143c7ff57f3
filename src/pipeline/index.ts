// Pipelines: stage sequences (run, demo, rebuild, prune) and the worker that runs them from the queue.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { prune } from './prune.ts';
export { rebuild } from './rebuild.ts';
export { runDemo } from './run-demo.ts';
export { type PipelineResult, runPipeline } from './run-pipeline.ts';
export { runWorker } from './run-worker.ts';
export { sendAlert } from './send-alert.ts';
export { loadSourceRules, sourceRulesOf } from './source-rules.ts';
