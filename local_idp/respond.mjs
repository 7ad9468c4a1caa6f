// The small HTTP helpers both servers share: the local IdP (server.mjs) and the upstream OAuth
// provider behind its social connector (upstream.mjs). node:http on purpose: neither server
// needs a framework, and the responses stay byte-for-byte what the tests assert.

export const MAX_FORM_BYTES = 16 * 1024; // a sign-in or token form is far smaller

/** Answer with `body`, never cached (RFC 6749 5.1 asks the token endpoint for both headers). */
export function send(res, status, body, type = 'text/html; charset=utf-8', extraHeaders = {}) {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

/** 303 See Other: after a form POST the browser follows with a GET (RFC 9110 15.4.4). */
export function redirect(res, location) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

/** The urlencoded body of `req`; throws on more than MAX_FORM_BYTES. */
export async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
