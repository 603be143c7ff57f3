// Alerts: a Slack-compatible JSON POST to ALERT_WEBHOOK_URL. Sending never fails the run it reports.
import type { Logger } from '../lib/logger.ts';

export type AlertKind = 'failed' | 'stale' | 'collapsed';

export interface Alert {
  kind: AlertKind;
  spider: string | null;
  message: string;
}

const ICON: Record<AlertKind, string> = { failed: ':x:', stale: ':hourglass:', collapsed: ':warning:' };

export async function sendAlert(webhookUrl: string | undefined, alert: Alert, log: Logger): Promise<boolean> {
  if (!webhookUrl) return false;
  const payload = {
    text: `${ICON[alert.kind]} trawl ${alert.kind}${alert.spider ? ` · ${alert.spider}` : ''}: ${alert.message}`,
    trawl: alert,
  };
  try {
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return true;
  } catch (err) {
    log.warn({ err: (err as Error).message, alert: alert.kind }, 'alert not delivered');
    return false;
  }
}
