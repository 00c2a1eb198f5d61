import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { FanOutStarter } from '../../pipeline/run/fan-out-hand-off.js';

export interface SfnFanOutStarterOptions {
  client: SFNClient;
  stateMachineArn: string;
}

/** Hands a raw object to the fan-out state machine (statemachine/fan-out.asl.json): one Standard execution per upload. */
export class SfnFanOutStarter implements FanOutStarter {
  constructor(private readonly options: SfnFanOutStarterOptions) {}

  async start(name: string, input: { key: string }): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const { client, stateMachineArn } = this.options;
    try {
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionArn: executionArn ?? executionArnOf(stateMachineArn, name), alreadyStarted: false };
    } catch (error) {
      // Names are unique per state machine for 90 days: this upload's run was started before and has ended since.
      if ((error as Error).name === 'ExecutionAlreadyExists') return { executionArn: executionArnOf(stateMachineArn, name), alreadyStarted: true };
      throw error;
    }
  }
}

/** `arn:…:stateMachine:<machine>` → `arn:…:execution:<machine>:<name>`. */
function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
