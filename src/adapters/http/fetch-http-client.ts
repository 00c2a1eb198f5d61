import { HttpTransportError } from '../../extract/errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../extract/ports.js';

/**
 * The extractor's HTTP port on Node's own fetch (undici), the same on Lambda and on a laptop: no dependency. The
 * timeout covers the body too, and a body that ends before its Content-Length (a dropped connection) is a transport
 * error, never a short page.
 */
export class FetchHttpClient implements HttpClient {
  async get(request: HttpRequest): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(request.timeoutMs);
    const where = redactedForError(request.url);
    try {
      const response = await fetch(request.url, { headers: request.headers, signal, redirect: 'follow' });
      const body = new Uint8Array(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return { status: response.status, headers, body };
    } catch (error) {
      if (signal.aborted) throw new HttpTransportError(`no whole answer within ${request.timeoutMs / 1000} s`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new HttpTransportError(`connection failed (${detail}) for ${where}`);
    }
  }
}

/** Transport errors carry the host only: the caller redacts full URLs, but a host never holds a secret. */
function redactedForError(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the URL';
  }
}
