import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretMissingError } from '../../extract/errors.js';
import type { SecretStore } from '../../extract/ports.js';
import type { SecretSpec } from '../../extract/source.js';

/**
 * On AWS a source's API key is an SSM SecureString parameter (decrypted) or a Secrets Manager secret, read through
 * Powertools' Parameters utility, which caches it across invocations of a warm function (`maxAge`, 5 minutes here).
 */
export class ParameterSecretStore implements SecretStore {
  private readonly ssm: SSMProvider;
  private readonly secrets: SecretsProvider;

  constructor(options: { ssm?: SSMClient; secretsManager?: SecretsManagerClient; maxAgeSeconds?: number } = {}) {
    this.ssm = new SSMProvider({ awsSdkV3Client: options.ssm ?? new SSMClient({}) });
    this.secrets = new SecretsProvider({ awsSdkV3Client: options.secretsManager ?? new SecretsManagerClient({}) });
    this.maxAge = options.maxAgeSeconds ?? 300;
  }

  private readonly maxAge: number;

  async get(secret: SecretSpec): Promise<string> {
    const where = secret.ssmParameter ? `SSM parameter ${secret.ssmParameter}` : `secret ${secret.secretsManager}`;
    let value: unknown;
    try {
      if (secret.ssmParameter) value = await this.ssm.get(secret.ssmParameter, { decrypt: true, maxAge: this.maxAge });
      else if (secret.secretsManager) value = await this.secrets.get(secret.secretsManager, { maxAge: this.maxAge });
      else throw new SecretMissingError('the source names neither secret.ssm_parameter nor secret.secrets_manager, so it cannot run on AWS');
    } catch (error) {
      if (error instanceof SecretMissingError) throw error;
      // The SDK's message names the parameter, never its value.
      throw new SecretMissingError(`${where} could not be read: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof value !== 'string' || value.trim() === '') throw new SecretMissingError(`${where} is empty`);
    return value.trim();
  }
}
