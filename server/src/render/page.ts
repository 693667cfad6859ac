/**
 * The one builder of our HTML pages (the size map, the history chart), with the
 * Content-Security-Policy chosen by where the page is shown:
 * - a file (`kbloat history --html`) that may be mailed or attached: inline
 *   styles only, no script, nothing loaded from anywhere;
 * - a VS Code webview: styles and the page's own script by a fresh nonce, and
 *   the webview's own resources (`cspSource`); nothing else.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** For an attribute value in double quotes: the CSP keeps its single quotes readable. */
function attr(s: string): string {
  return s.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]!);
}

export interface WebviewSecurity {
  nonce: string;
  /** The webview's `cspSource`. */
  cspSource: string;
}

export interface PageOptions {
  title: string;
  css: string;
  /** What goes between `<body>` and `</body>`, without the closing newline. */
  body: string;
  /** The page's own script: only in a webview (a file page has none). */
  script?: string;
  /** Declare that the page's colours follow the light or dark scheme of the viewer. */
  colorScheme?: boolean;
  /** A second style sheet after the first (a webview's theme colours). */
  themeCss?: string;
  /** Shown in a webview; absent: a standalone file. */
  webview?: WebviewSecurity;
}

export function htmlPage(o: PageOptions): string {
  const nonce = o.webview ? escapeHtml(o.webview.nonce) : undefined;
  if (o.script !== undefined && !nonce) throw new Error('a page with a script is shown only in a webview, which gives it a nonce');
  const styleTag = nonce ? `<style nonce="${nonce}">` : '<style>';
  const csp = o.webview
    ? `default-src 'none'; style-src ${o.webview.cspSource} 'nonce-${nonce}'; ${o.script !== undefined ? `script-src 'nonce-${nonce}'; ` : ''}img-src data:; base-uri 'none'; form-action 'none'`
    : `default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.colorScheme ? '<meta name="color-scheme" content="light dark">\n' : ''}<title>${escapeHtml(o.title)}</title>
${styleTag}${o.css}</style>
${o.themeCss !== undefined ? `${styleTag}${o.themeCss}</style>\n` : ''}</head>
<body>
${o.body}
${o.script !== undefined ? `<script nonce="${nonce}">${o.script}</script>\n` : ''}</body>
</html>
`;
}
