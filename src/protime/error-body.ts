/** What we could read from an error answer, whatever shape it came in. */
export interface ErrorBody {
  code?: string;
  message?: string;
  reasons: string[];
}

const MAX_TEXT = 200;

/**
 * Reads every error shape Protime (and the proxies in front of it) is known to send:
 * `{"error":{"code","message","reasons"}}`, model validation `{"validationErrors":[...]}`,
 * OAuth `{"error","error_description"}`, ASP.NET problem details `{"title","detail","errors"}`,
 * a bare `{"message"}`, and plain text or HTML pages. Never throws.
 */
export function parseErrorBody(data: unknown): ErrorBody {
  if (typeof data === 'string') return { message: textMessage(data), reasons: [] };
  if (!isRecord(data)) return { reasons: [] };
  const result: ErrorBody = { reasons: [] };
  const error = data.error;
  if (isRecord(error)) {
    result.code = stringOr(error.code);
    result.message = stringOr(error.message);
    result.reasons.push(...listOf(error.reasons));
  } else if (typeof error === 'string') {
    result.code = error;
    result.message = stringOr(data.error_description);
  }
  result.message ??= stringOr(data.detail) ?? stringOr(data.title) ?? stringOr(data.message);
  result.code ??= stringOr(data.code);
  if (Array.isArray(data.validationErrors)) {
    result.message ??= 'The request did not pass validation.';
    result.reasons.push(...listOf(data.validationErrors));
  }
  if (Array.isArray(data.errors)) result.reasons.push(...listOf(data.errors));
  else if (isRecord(data.errors)) {
    for (const [field, messages] of Object.entries(data.errors)) {
      for (const message of listOf(messages)) result.reasons.push(field ? `${field}: ${message}` : message);
    }
  }
  return result;
}

function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.map(describeItem).filter((text) => text !== '');
}

function describeItem(item: unknown): string {
  if (typeof item === 'string') return item;
  if (!isRecord(item)) return item === undefined || item === null ? '' : String(item);
  const field = stringOr(item.field) ?? stringOr(item.propertyName) ?? stringOr(item.property) ?? stringOr(item.name);
  const message = stringOr(item.message) ?? stringOr(item.errorMessage) ?? stringOr(item.error) ?? stringOr(item.reason);
  if (message) return field ? `${field}: ${message}` : message;
  return JSON.stringify(item);
}

/** The <title> of an HTML page, else the first words of the text. */
function textMessage(text: string): string | undefined {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  const plain = (title || text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
  if (plain === '') return undefined;
  return plain.length > MAX_TEXT ? `${plain.slice(0, MAX_TEXT)}…` : plain;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
