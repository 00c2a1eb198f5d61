import type { SecretSpec } from './source.js';

/**
 * The extractor's ports: an HTTP client, a secret store, and (from the pipeline's ports) the raw zone's ObjectStore.
 * Node's fetch implements the first on AWS and locally; Powertools Parameters (SSM, Secrets Manager) or the
 * environment the second.
 */

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  /** The whole exchange, body included, must finish within this. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The whole body: a window lands only when every page of it arrived whole. */
  body: Uint8Array;
}

export interface HttpClient {
  /** Resolves with any status; throws HttpTransportError when no whole answer arrived (timeout, reset, body cut short). */
  get(request: HttpRequest): Promise<HttpResponse>;
}

export interface SecretStore {
  /** The secret's value; throws SecretMissingError naming where it looked. */
  get(secret: SecretSpec): Promise<string>;
}
