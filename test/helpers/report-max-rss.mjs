// Loaded into a trawl child with NODE_OPTIONS=--import: writes the process's peak RSS (KB) to the
// file TRAWL_TEST_RSS_FILE names when it exits, so a test can bound a command's memory. It reads
// VmHWM, which a new program starts afresh: getrusage's maxrss keeps the parent's size across exec.
import fs from 'node:fs';

process.on('exit', () => {
  if (!process.env.TRAWL_TEST_RSS_FILE) return;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
  fs.writeFileSync(process.env.TRAWL_TEST_RSS_FILE, hwm ?? String(process.resourceUsage().maxRSS));
});
