import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import {
  formatDuration,
  formatTable,
  recordDuration,
  recordTaskDefinition,
  shortCommit,
  taskDefinitionRevision,
} from '../stack/describe';
import { describeRollbackFailed } from '../stack/rollback-failed';
import {
  type DeploymentRecord,
  resolveTarget,
  stackClients,
  TARGET_OPTIONS,
  TARGET_USAGE,
} from '../stack/target';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

const HEADERS = ['STARTED', 'ID', 'COMMIT', 'TRIGGER', 'STATUS', 'DURATION', 'TASK DEF', 'ERROR'] as const;

/** The history table: one row per record, newest first, as listRecords returns them. */
export function historyTable(records: readonly DeploymentRecord[], now: Date): string {
  const rows = records.map((record) => {
    const duration = recordDuration(record, now);
    const error = (record.error as { name?: unknown } | undefined)?.name;
    return [
      typeof record.startedAt === 'string' ? record.startedAt.replace(/\.\d+Z$/, 'Z') : '-',
      String(record.deploymentId ?? '-'),
      shortCommit(record.commitId),
      String(record.trigger ?? '-'),
      String(record.status ?? '-'),
      duration === undefined ? '-' : formatDuration(duration),
      taskDefinitionRevision(recordTaskDefinition(record)),
      typeof error === 'string' && error !== '' ? error : '-',
    ];
  });
  return formatTable(HEADERS, rows);
}

/** Parses --limit: a whole number from 1 to 1000. */
export function parseLimit(text: string | undefined): number {
  if (text === undefined) return 10;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 1000) {
    throw new InvalidInputError(`--limit ${text}: expected a whole number of deployments from 1 to 1000`);
  }
  return limit;
}

/** `switchyard history`: the last deployments. */
export const history: Command = {
  summary: 'list the last deployments: commit, trigger, status, duration, task definition, error',
  usage: `switchyard history [--limit N] [--json] (--stack NAME | --table NAME --repository NAME)

Lists the last N deployments (default 10), newest first: start time (UTC), id, commit, trigger (push, manual,
rollback), status, duration (so far, for a running one), task definition (family:revision) and the error's name.

  --limit N                   how many (1 to 1000)
  --json                      print the records as the table holds them
${TARGET_USAGE}

Example:
  switchyard history --stack switchyard --limit 5`,
  run: async (args) => {
    const { values } = parseFlags('history', {
      args,
      options: { ...TARGET_OPTIONS, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' } },
      strict: true,
    });
    const limit = parseLimit(values.limit);
    const clients = stackClients();
    const target = await resolveTarget(values, ['tableName', 'repository'] as const, clients.cloudformation);
    const records = await new DeploymentsTable(clients.dynamodb, target.tableName).listRecords(
      target.repository,
      limit,
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      process.stdout.write(`no deployments yet (repository ${target.repository})\n`);
      return 0;
    }
    process.stdout.write(historyTable(records, new Date()));
    process.stdout.write(
      describeRollbackFailed(records.filter((record) => record.status === 'ROLLBACK_FAILED')),
    );
    return 0;
  },
};
