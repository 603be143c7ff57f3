// An Atom feed (RFC 4287) as text. Pure: the entries come in, the XML goes out. Scraped text may hold
// anything, so every text is escaped and characters XML cannot carry are dropped.

export interface FeedEntry {
  /** Stable across generations, so a reader shows an entry once. */
  id: string;
  title: string;
  updated: string;
  /** The game's page, relative to the feed. */
  link: string;
  summary: string;
}

export interface Feed {
  id: string;
  title: string;
  subtitle: string;
  /** The feed's own key and the page, relative to the feed. */
  self: string;
  alternate: string;
  updated: string;
  entries: FeedEntry[];
}

// Control characters other than tab, newline and return, lone surrogates, U+FFFE and U+FFFF: what
// XML 1.0 cannot carry, so matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xmlText(s: string): string {
  return s.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function renderAtomFeed(feed: Feed): string {
  const t = xmlText;
  const entries = feed.entries.map(
    (e) => `  <entry>
    <id>${t(e.id)}</id>
    <title>${t(e.title)}</title>
    <updated>${t(e.updated)}</updated>
    <link rel="alternate" type="text/html" href="${t(e.link)}"/>
    <summary>${t(e.summary)}</summary>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${t(feed.id)}</id>
  <title>${t(feed.title)}</title>
  <subtitle>${t(feed.subtitle)}</subtitle>
  <updated>${t(feed.updated)}</updated>
  <author><name>trawl</name></author>
  <generator>trawl</generator>
  <link rel="self" type="application/atom+xml" href="${t(feed.self)}"/>
  <link rel="alternate" type="text/html" href="${t(feed.alternate)}"/>
${entries.join('')}</feed>
`;
}
