// Benchmark output: a readable table, then one JSON line of the figures (the last line printed).
import { formatTable } from '../../src/lib/table.ts';

/** One titled table; a benchmark with several prints the others with this, then its last with report. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}\n`);
  console.log(formatTable(rows));
}

export function report(title: string, rows: Record<string, string | number>[], figures: Record<string, number | string | boolean>): void {
  printTable(title, rows);
  console.log(`\n${JSON.stringify(figures)}`);
}

export const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** Runs a bench child (a .ts file) and returns the JSON object it prints last. */
export async function runChild(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, number>> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!));
    });
  });
}
