import type PostalMime from 'postal-mime';
import { fail } from '../../core/errors.ts';

export interface EmailText {
  subject: string;
  from: string;
  /** The readable body: the text/plain part, else the HTML part with tags removed. */
  body: string;
}

/**
 * Parses an RFC 5322 / MIME message with postal-mime (headers, multipart, transfer and charset decoding)
 * and returns subject, sender and the body text. A leading mbox "From " separator line is dropped.
 */
export async function extractEmailText(raw: string | Uint8Array): Promise<EmailText> {
  let bytes = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
  // mbox files start with "From addr date"; that line is not a header and would confuse the parser.
  if (bytes[0] === 0x46 && startsWith(bytes, 'From ')) {
    const nl = bytes.indexOf(0x0a);
    bytes = nl < 0 ? new Uint8Array(0) : bytes.subarray(nl + 1);
  }
  let parsed: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    // Loaded on first use so that importing the library does not pay for the MIME parser.
    const { default: parser } = await import('postal-mime');
    parsed = await parser.parse(bytes);
  } catch (e) {
    fail('extractEmailText', `cannot parse message: ${(e as Error).message}`);
  }
  const body =
    parsed.text !== undefined && parsed.text.trim() !== '' ? parsed.text : htmlToText(parsed.html ?? '');
  const from = parsed.from === undefined ? '' : (parsed.from.address ?? parsed.from.name ?? '');
  return { subject: parsed.subject ?? '', from, body: body.trim() };
}

function startsWith(bytes: Uint8Array, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (bytes[i] !== s.charCodeAt(i)) return false;
  return true;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Visible text of an HTML body: scripts/styles dropped, block tags as line breaks, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(br|\/p|\/div|\/tr|\/h\d|\/li)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t\r\f\v]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
}
