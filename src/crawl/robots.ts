// robots.txt, fetched with trawl's own User-Agent and obeyed for that agent's token. Crawlee's own
// check fetches the file with a generated browser User-Agent and allows everything when the fetch
// fails; trawl asks as itself, and an unreachable robots.txt (other than a 4xx) disallows the host
// for this run, as RFC 9309 says for a 5xx answer.
import { RobotsTxtFile } from '@crawlee/utils';

export interface RobotsPolicy {
  /** `unreachable`: robots.txt answered 5xx or nothing; the host is not crawled, and that is a failure, not a rule. */
  verdict(url: string): Promise<'allowed' | 'disallowed' | 'unreachable'>;
}

/** The product token robots.txt groups are matched against: "trawl/0.1 (+…)" -> "trawl". */
function userAgentToken(userAgent: string): string {
  return /^[A-Za-z0-9_-]+/.exec(userAgent.trim())?.[0] ?? '*';
}

export function robotsPolicy(opts: { userAgent: string; timeoutMs: number; fetch?: typeof fetch }): RobotsPolicy {
  const doFetch = opts.fetch ?? fetch;
  const token = userAgentToken(opts.userAgent);
  const files = new Map<string, Promise<RobotsTxtFile | 'disallow-all'>>();
  const load = async (origin: string): Promise<RobotsTxtFile | 'disallow-all'> => {
    const url = `${origin}/robots.txt`;
    try {
      const res = await doFetch(url, { headers: { 'user-agent': opts.userAgent }, redirect: 'follow', signal: AbortSignal.timeout(opts.timeoutMs) });
      // 4xx: no robots.txt, everything is allowed (RFC 9309 2.3.1.3); 5xx or no answer: nothing is (2.3.1.4).
      if (res.status >= 400 && res.status < 500) return RobotsTxtFile.from(url, '');
      if (!res.ok) return 'disallow-all';
      return RobotsTxtFile.from(url, await res.text());
    } catch {
      return 'disallow-all';
    }
  };
  const verdict = async (url: string) => {
    const origin = new URL(url).origin;
    let file = files.get(origin);
    if (!file) files.set(origin, (file = load(origin)));
    const robots = await file;
    if (robots === 'disallow-all') return 'unreachable' as const;
    return robots.isAllowed(url, token) ? ('allowed' as const) : ('disallowed' as const);
  };
  return { verdict };
}
