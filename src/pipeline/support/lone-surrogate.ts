const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether the text holds half of a surrogate pair on its own: not a character, and UTF-8 has no bytes for it (writing
 * it would silently turn it into U+FFFD). Only a JSON `\u` escape can make one: bytes read as UTF-8 never do.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}
