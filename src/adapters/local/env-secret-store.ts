import { SecretMissingError } from '../../extract/errors.js';
import type { SecretStore } from '../../extract/ports.js';
import type { SecretSpec } from '../../extract/source.js';

/** Locally a source's API key comes from the environment variable its `secret.env` names. */
export class EnvSecretStore implements SecretStore {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(secret: SecretSpec): Promise<string> {
    if (!secret.env) throw new SecretMissingError('the source names no secret.env variable, so it cannot run locally');
    const value = this.env[secret.env]?.trim();
    if (!value) throw new SecretMissingError(`${secret.env} is not set (the API key this source needs)`);
    return value;
  }
}
