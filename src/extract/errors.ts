import { GluelessError } from '../pipeline/contract/errors.js';

/** A source definition (sources/*.yaml) is malformed; the message names the file and field. */
export class SourceError extends GluelessError {}

/** One window could not be fetched as a whole; nothing of it landed. The message names source, window, URL and reason. */
export class WindowFailedError extends GluelessError {}

/** The API key a source needs is not where the source says it is. */
export class SecretMissingError extends GluelessError {}

/** The request never got an answer: a timeout, a refused or dropped connection, a body cut short. Worth retrying. */
export class HttpTransportError extends GluelessError {}
