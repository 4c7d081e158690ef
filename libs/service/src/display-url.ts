/** URL for messages, logs and history, without a password it may carry. */
export function displayUrl(source: string): string {
  try {
    const url = new URL(source);
    if (!url.password) return source;
    url.password = '***';
    return url.toString();
  } catch {
    return source;
  }
}
