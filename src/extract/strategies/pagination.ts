import type { PaginationSpec } from '../source.js';
import { valueAt } from './json-path.js';

/**
 * How the next page of a window is found, given the page just read: a next-URL in the body (Polygon's `next_url`), a
 * page number or an offset in the query, a cursor from the body, or a `Link: <…>; rel="next"` header. Undefined when
 * the window has no more pages. The returned URL carries no API key: the caller authenticates every page again.
 */

export interface PageRead {
  url: URL;
  headers: Record<string, string>;
  /** Parsed JSON body, when the source answers JSON. */
  json?: unknown;
  records: number;
  /** Pages read so far in this window, this one included. */
  pageNumber: number;
}

export type Paginator = (page: PageRead) => URL | undefined;

type PaginatorFactory<T extends PaginationSpec['type']> = (spec: Extract<PaginationSpec, { type: T }>) => Paginator;

const withParam = (url: URL, name: string, value: string) => {
  const next = new URL(url);
  next.searchParams.set(name, value);
  return next;
};

const paginators: { [T in PaginationSpec['type']]: PaginatorFactory<T> } = {
  none: () => () => undefined,
  next_url: (spec) => (page) => {
    const next = valueAt(page.json, spec.path);
    return typeof next === 'string' && next !== '' ? new URL(next, page.url) : undefined;
  },
  page: (spec) => (page) => {
    if (page.records === 0 || (spec.size && page.records < spec.size.value)) return undefined;
    return withParam(page.url, spec.param, String(spec.start + page.pageNumber));
  },
  offset: (spec) => (page) => {
    if (page.records < spec.limit) return undefined;
    return withParam(page.url, spec.param, String(page.pageNumber * spec.limit));
  },
  cursor: (spec) => (page) => {
    const cursor = valueAt(page.json, spec.path);
    if (cursor === undefined || cursor === null || cursor === '' || page.records === 0) return undefined;
    return withParam(page.url, spec.param, String(cursor));
  },
  link_header: () => (page) => {
    const link = page.headers['link'];
    const next = link?.split(',').find((part) => /;\s*rel="?next"?/i.test(part));
    const target = next && /<([^>]+)>/.exec(next)?.[1];
    return target ? new URL(target, page.url) : undefined;
  },
};

/** The query parameters the first request sets for the paginators that count pages. */
export function firstPageParams(spec: PaginationSpec): Record<string, string> {
  if (spec.type === 'page') return { [spec.param]: String(spec.start), ...(spec.size ? { [spec.size.param]: String(spec.size.value) } : {}) };
  if (spec.type === 'offset') return { [spec.param]: '0', [spec.limitParam]: String(spec.limit) };
  return {};
}

export function paginatorFor(spec: PaginationSpec): Paginator {
  return (paginators[spec.type] as PaginatorFactory<PaginationSpec['type']>)(spec as never);
}
