// The one redaction of secrets in text trawl prints, logs or records. Pure.

/**
 * A URL's userinfo, whatever it holds (an empty user, an unencoded "@" or "/" in the password), up to
 * the last "@" before the host; a JSON or quoted string ends it, so one line's other fields survive.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>{}|\\^`]*)@/gi;
/** Query parameters that carry a secret (libpq's password= among them). */
const SECRET_PARAM = /([?&;](?:password|passwd|pass|pwd|secret|token|sslpassword|access_token|api_key|apikey)=)[^&\s#;"']*/gi;

/** postgres://user:secret@host/db -> postgres://user:***@host/db, and ?password=… -> ?password=***. */
export function redactSecrets(text: string): string {
  return text
    // A user without a password is no secret: postgres://postgres@host stays as it is, usable.
    .replace(USERINFO, (m, scheme: string, userinfo: string) => (userinfo.includes(':') ? `${scheme}${userinfo.split(':')[0]!.replace(/@.*$/, '')}:***@` : m))
    .replace(SECRET_PARAM, '$1***');
}

/** A webhook URL is a secret as a whole (Slack's path is its key): only its origin is shown. */
export function redactWebhook(url: string): string {
  try {
    return `${new URL(url).origin}/***`;
  } catch {
    return '***';
  }
}
