import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Logger, Metrics and Tracer, created once per execution environment; POWERTOOLS_* variables configure them. */

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'glueless';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'Glueless' });
export const tracer = new Tracer({ serviceName });
