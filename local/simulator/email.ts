/**
 * Simulated Azure Communication Services Email: POST /emails:send (HMAC-SHA256 signed exactly as the
 * @azure/communication-email SDK signs with an access key), 202 + Operation-Location, and the operation status
 * endpoint (Running, then Succeeded). Everything accepted lands in the mailbox.
 */
import * as crypto from 'node:crypto';
import { json, SimRequest, SimResponse } from './http';
import { SentEmail, SimState } from './state';

type Address = { address: string; displayName?: string };

function errorBody(status: number, code: string, message: string): SimResponse {
  return json(status, { error: { code, message } });
}

/** Verifies the access-key signature; returns an error response when it does not hold. */
export function verifyHmac(req: SimRequest, accessKey: string): SimResponse | undefined {
  const auth = req.headers['authorization'] ?? '';
  const m = /^HMAC-SHA256\s+SignedHeaders=([^&]+)&Signature=(.+)$/i.exec(auth);
  if (!m) return errorBody(401, 'Denied', 'Denied by the resource provider. (missing or malformed HMAC-SHA256 Authorization header)');
  const signedHeaders = m[1]!.toLowerCase().split(';');
  const date = req.headers['x-ms-date'] ?? req.headers['date'];
  if (!date) return errorBody(401, 'Denied', 'Denied by the resource provider. (x-ms-date missing)');
  const when = Date.parse(date);
  if (Number.isNaN(when) || Math.abs(Date.now() - when) > 15 * 60 * 1000)
    return errorBody(401, 'Denied', 'Denied by the resource provider. (x-ms-date outside the allowed clock skew)');
  const contentHash = crypto.createHash('sha256').update(req.rawBody, 'utf8').digest('base64');
  if ((req.headers['x-ms-content-sha256'] ?? '') !== contentHash)
    return errorBody(401, 'Denied', 'Denied by the resource provider. (x-ms-content-sha256 does not match the body)');
  const url = new URL(req.url, req.origin);
  const query = url.searchParams.toString();
  const pathAndQuery = query ? `${url.pathname}?${query}` : url.pathname;
  const values = signedHeaders.map((h) =>
    h === 'host' ? (req.headers['host'] ?? url.host) : h === 'x-ms-date' ? date : (req.headers[h] ?? ''),
  );
  const stringToSign = `${req.method.toUpperCase()}\n${pathAndQuery}\n${values.join(';')}`;
  const expected = crypto.createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign, 'utf8').digest('base64');
  const a = Buffer.from(expected);
  const b = Buffer.from(m[2]!);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b))
    return errorBody(401, 'Denied', 'Denied by the resource provider. (signature mismatch)');
  return undefined;
}

function addresses(v: unknown): Address[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  for (const a of v)
    if (!a || typeof (a as Address).address !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test((a as Address).address)) return undefined;
  return v as Address[];
}

export function createEmail(state: SimState) {
  function send(req: SimRequest): SimResponse {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(req.rawBody) as Record<string, unknown>;
    } catch {
      return errorBody(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    const sender = msg.senderAddress;
    if (typeof sender !== 'string') return errorBody(400, 'BadRequest', 'senderAddress is required.');
    if (sender.toLowerCase() !== state.config.emailSenderAddress.toLowerCase())
      return errorBody(
        400,
        'InvalidSenderUserName',
        `The sender '${sender}' is not a verified sender of this resource (expected ${state.config.emailSenderAddress}).`,
      );
    const content = msg.content as { subject?: unknown; plainText?: unknown; html?: unknown } | undefined;
    if (!content || typeof content.subject !== 'string' || !content.subject)
      return errorBody(400, 'BadRequest', 'content.subject is required.');
    if (typeof content.plainText !== 'string' && typeof content.html !== 'string')
      return errorBody(400, 'BadRequest', 'content.plainText or content.html is required.');
    const r = (msg.recipients ?? {}) as { to?: unknown; cc?: unknown; bcc?: unknown };
    const to = addresses(r.to);
    const cc = addresses(r.cc);
    const bcc = addresses(r.bcc);
    if (!to || !cc || !bcc) return errorBody(400, 'InvalidRecipients', 'A recipient address is not a valid email address.');
    const total = to.length + cc.length + bcc.length;
    if (total === 0) return errorBody(400, 'BadRequest', 'At least one recipient is required.');
    if (total > 50) return errorBody(400, 'BadRequest', 'An email can have at most 50 recipients.');
    if (Buffer.byteLength(req.rawBody) > 10 * 1024 * 1024) return errorBody(413, 'RequestEntityTooLarge', 'The request exceeds 10 MB.');
    const id = req.headers['operation-id'] || state.rng.uuid('email-operation');
    if (state.emailOperations.has(id)) {
      return {
        status: 202,
        headers: { 'operation-location': `${req.origin}/emails/operations/${id}?api-version=${req.query.get('api-version') ?? ''}` },
        body: { id, status: 'Running' },
      };
    }
    const attachments = Array.isArray(msg.attachments)
      ? (msg.attachments as Array<{ name?: string; contentType?: string; contentInBase64?: string }>)
      : [];
    const mail: SentEmail = {
      operationId: id,
      receivedAt: new Date().toISOString(),
      senderAddress: sender,
      to,
      cc,
      bcc,
      subject: content.subject,
      plainText: typeof content.plainText === 'string' ? content.plainText : undefined,
      html: typeof content.html === 'string' ? content.html : undefined,
      headers: (msg.headers as Record<string, string> | undefined) ?? undefined,
      replyTo: addresses(msg.replyTo) ?? undefined,
      attachments: attachments.map((a) => ({
        name: String(a.name ?? ''),
        contentType: String(a.contentType ?? ''),
        sizeBytes: Buffer.from(String(a.contentInBase64 ?? ''), 'base64').length,
      })),
    };
    const bounce = [...to, ...cc, ...bcc].every((a) => a.address.toLowerCase().startsWith('bounce'));
    state.emailOperations.set(id, { id, polls: 0, status: 'Running', final: bounce ? 'Failed' : 'Succeeded' });
    if (!bounce) state.mailbox.push(mail);
    return {
      status: 202,
      headers: {
        'operation-location': `${req.origin}/emails/operations/${id}?api-version=${req.query.get('api-version') ?? ''}`,
        'x-ms-request-id': crypto.randomUUID(),
      },
      body: { id, status: 'Running' },
    };
  }

  function status(req: SimRequest, id: string): SimResponse {
    const op = state.emailOperations.get(id);
    if (!op) return errorBody(404, 'NotFound', `Operation '${id}' was not found.`);
    op.polls += 1;
    if (op.status === 'Running' && op.polls >= 2) op.status = op.final;
    const body: Record<string, unknown> = { id: op.id, status: op.status };
    if (op.status === 'Failed')
      body.error = {
        code: 'EmailDroppedAllRecipientsSuppressed',
        message: 'Message was not delivered: every recipient is on the suppression list (simulated bounce).',
      };
    void req;
    return json(200, body);
  }

  return async function handleEmail(req: SimRequest): Promise<SimResponse> {
    const bad = verifyHmac(req, state.config.emailAccessKey);
    if (bad) return bad;
    if (!req.query.get('api-version'))
      return errorBody(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    const p = decodeURIComponent(req.path);
    if (req.method === 'POST' && p === '/emails:send') return send(req);
    const m = /^\/emails\/operations\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) return status(req, m[1]!);
    return errorBody(404, 'NotFound', `No such Email resource: ${req.method} ${req.path}`);
  };
}
