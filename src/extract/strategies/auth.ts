import type { AuthSpec } from '../source.js';

/** How a request carries the API key: not at all, as a query parameter, or in a header (with a prefix: `apikey …`). */
export type Authenticator = (url: URL, headers: Record<string, string>) => void;

const authenticators: { [T in AuthSpec['type']]: (spec: Extract<AuthSpec, { type: T }>, secret: string) => Authenticator } = {
  none: () => () => undefined,
  query: (spec, secret) => (url) => url.searchParams.set(spec.name, secret),
  header: (spec, secret) => (_url, headers) => {
    headers[spec.name] = `${spec.prefix}${secret}`;
  },
};

export function authenticatorFor(spec: AuthSpec, secret: string | undefined): Authenticator {
  return (authenticators[spec.type] as (s: AuthSpec, secret: string) => Authenticator)(spec, secret ?? '');
}
