// Named failpoints for fault tests: TRAWL_FAILPOINT=<name>[@<n>] (read by config) kills this process
// with SIGKILL the n-th time (default first) execution passes that point. Inert unless armed.
let target: string | undefined;
let want = 1;
let hits = 0;

export function armFailpoint(spec: string | undefined): void {
  const [name, nth] = spec ? spec.split('@') : [];
  target = name;
  want = Number(nth ?? 1);
  hits = 0;
}

export function failpoint(name: string): void {
  if (name !== target) return;
  hits++;
  if (hits === want) {
    process.stderr.write(`failpoint ${name}@${hits}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
